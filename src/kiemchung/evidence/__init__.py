"""The evidence assistant: a library of trusted documents, the sentences in it that bear on a claim, their
stance toward it and a suggested verdict (pure and in memory; the store and the service sit at the edges)."""
