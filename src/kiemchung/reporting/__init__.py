"""Reporting: share cards for published fact-checks and period reports (figures, charts, rendering).

`card_layout`, `figures`, `charts` and `render` are pure (input in, output out); `cards` draws a layout with
Pillow and finds a font on disk. The database work lives in `store/reports.py`, the use cases in
`services/cards.py` and `services/reports.py`.
"""
