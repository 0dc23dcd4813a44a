"""Text normalisation, the sentiment model and the async batching ScoringService."""
