"""Data on disk: stimulus sets (matched pairs and their manifest), training shards, video files, atomic writes."""
