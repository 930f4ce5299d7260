"""The accessibility engine, which knows nothing of France: road networks as arrays, routing, access and
coverage, isochrones, capacity-aware access (E2SFCA), siting, the speed model's calibration, geometry.

It imports nothing from :mod:`coverage.france`, :mod:`coverage.outputs` or :mod:`coverage.pipeline`.
"""
