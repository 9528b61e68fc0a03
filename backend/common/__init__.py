"""Helpers every feature may use: time, ids, geometry, paging, the caller and their scope.

Nothing here imports a feature package.
"""
