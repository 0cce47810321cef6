"""engine.optim: SGD and Adam with torch.optim's update rules."""
