"""Venice chat completions: the request venice_chat builds (content parts with local files, the
long tail of options, what the model must be able to do) and the reply it reads back."""


class ChatError(ValueError):
    """A chat request that cannot be sent as given; the message tells the agent why (nothing spent)."""
