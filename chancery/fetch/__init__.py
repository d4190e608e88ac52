"""`chancery fetch`: download public archives (FRUS TEI volumes, DFAT volumes); the only network code."""
