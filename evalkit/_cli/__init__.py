"""What is left of the command's old home: the one-page UI server (the ui work replaces it).

The command itself lives in :mod:`evalkit.cli`.
"""
