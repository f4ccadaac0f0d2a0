"""Local fake provider servers (loopback only) with fault injection, and realistic payloads."""
