"""The report a person opens: ``published/report.html``, one self-contained page built from the gated snapshot.

One job per module: ``snapshot`` reads the published tables, ``thresholds`` the dbt vars the verdict used,
``brief`` turns today's mart row into sentences, ``frames`` shapes the compact chart data, ``charts`` holds
the Vega-Lite specs, ``page`` assembles the HTML and ``build`` writes it atomically.
"""
