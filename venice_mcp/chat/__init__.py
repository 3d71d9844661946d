"""Venice chat completions: the request venice_chat builds (content parts with local files, the
long tail of options, what the model must be able to do) and the reply it reads back."""
