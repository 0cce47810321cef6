"""Qt views and editors: the canvas (scene, view, items), palette, search popup, inspector.

They read the document model and emit intents; they never mutate the model.
"""
