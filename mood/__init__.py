"""The torch-free core shared by the live bot, offline analysis and training: the error base,
sentiment labels and `Score`, and `MoodTracker` (rolling windows, hype, swing detection)."""
