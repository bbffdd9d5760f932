"""Client for cardcheckd: Luhn, card security code (CSC) and address verification (AVS) checks over the
daemon's Unix socket, in its binary protocol (Protocol/PROTOCOL.md). Standard library only.

    import cardcheck
    with cardcheck.Client("run/cardcheck.sock") as client:
        result = client.validate(pan="4111 1111 1111 1111", expiry="12/30", csc="123", postal_code="12345")
        print(result.action, result.reasons, result.as_dict())
"""
from .types import (
    Action, AvsFlag, AvsResult, Brand, Funding, ThreeDSResult, CscResult, CardCheckError, ConnectionFailed, CscPresence, ErrorKind, ExpiryStatus,
    GeneratedCode, GeneratedAuthenticationValue, Hello, Interpretation, ProtocolError, ServerError, Stats, Timeout, ValidateRequest,
    ValidateResult, Verification, REASONS,
)
from .client import Client
from .aio import AsyncClient

__version__ = "0.1.0"
__all__ = [
    "Client", "AsyncClient", "ValidateRequest", "ValidateResult", "Action", "Brand", "Funding", "ThreeDSResult", "CscPresence", "CscResult", "AvsResult",
    "ExpiryStatus", "AvsFlag", "ErrorKind", "Hello", "Interpretation", "Stats", "GeneratedCode", "GeneratedAuthenticationValue",
    "Verification", "CardCheckError", "ServerError", "ProtocolError", "ConnectionFailed", "Timeout", "REASONS",
]
