"""Job options, declared once as frozen dataclasses with field metadata (``spec``).

``extract``, ``swap`` and ``detection`` hold the declarations, ``jobs`` maps job kinds
to them. Nothing here imports torch or Django: the web host validates with it.
"""
