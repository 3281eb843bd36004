"""Success criteria: the condition language and its evaluation against metrics."""
