"""Tokenizer training, MLM domain adaptation, sentiment fine-tuning and evaluation."""
