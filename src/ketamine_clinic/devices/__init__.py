"""Live devices: the HL7 v2 / IHE PCD side of monitors and pumps. Pure Python and asyncio;
nothing here imports Django (a test checks), so the gateway's protocol code can be tested
and benchmarked on its own and the clinic's storage plugs in through a port.
"""
