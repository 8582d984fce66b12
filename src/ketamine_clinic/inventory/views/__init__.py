"""The controlled-substance pages: stock.py, counts.py, reports.py."""
