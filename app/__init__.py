"""The GradCanvas application: main window, actions, undo commands, files, the CLI.

Importing this package imports no Qt: the headless CLI (``app.cli``) must stay Qt-free and
the GUI is imported lazily when it is launched.
"""
