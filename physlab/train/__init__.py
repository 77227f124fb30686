"""Training a world model on possible events: the loop (resume, DDP, checkpoints), augmentation, loss weights."""
