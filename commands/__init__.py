"""Chat commands (`!mood`, `!hype`, `!sentiment`), one module each."""
