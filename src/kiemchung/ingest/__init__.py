"""The edge where the outside world comes in: HTTP fetching, feeds, sitemaps, pages, dropped files.

Everything here turns bytes into `Item`s or raises `FetchError` with a reason a person can act on.
"""
