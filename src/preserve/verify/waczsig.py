"""The signature of a signed WACZ (WACZ Signing and Verification 0.1.0): the
``signedData`` of ``datapackage-digest.json``, checked offline with the cryptography
library as authsign's Verifier checks it.

A signature by a domain certificate: the signed hash is the digest of
``datapackage.json``; its ``created`` time is the package's; the domain certificate
chain is unbroken (each certificate signed by the next); the chain ends at a root of the
Mozilla CA bundle (certifi), directly or by a root's cross-signed copy; the signature of
the hash verifies with the domain certificate's key; that certificate names the signing
domain and was valid when the package was created. An anonymous signature (a
``publicKey``, as ArchiveWeb.page writes): the signature of the hash verifies with that
key, which nothing vouches for (a warning). Not checked: the RFC 3161 timestamp in
``timeSignature``, which needs a TSP parser (authsign's own, with its pinned web-server
dependencies): a warning says so.
"""

from __future__ import annotations

import base64
import binascii
import warnings
from datetime import datetime
from functools import lru_cache
from typing import Any

__all__ = ["check_signature"]

Problem = tuple[str, str, object, object]  # code, message, expected, found


def check_signature(signed: object, digest_hash: str, created: object) -> list[Problem]:
    """The problems of ``signedData`` (``signed``), given datapackage-digest.json's
    ``hash`` and datapackage.json's ``created``."""
    if not isinstance(signed, dict) or not all(
            isinstance(signed.get(k), str) for k in ("hash", "signature")) or not (
            isinstance(signed.get("domainCert"), str)
            or isinstance(signed.get("publicKey"), str)):
        return [("WACZ_SIGNATURE_INVALID", "signedData is not an object with hash, "
                 "signature and domainCert or publicKey",
                 "hash, signature, domainCert or publicKey", str(signed)[:200])]
    problems: list[Problem] = []
    if signed["hash"] != digest_hash:
        problems.append(("WACZ_SIGNATURE_INVALID", "the signed hash is not the hash of "
                         "datapackage.json", digest_hash, signed["hash"]))
    if signed.get("created") != created:
        problems.append(("WACZ_SIGNATURE_INVALID", "the signature's created time differs "
                         "from datapackage.json's", created, signed.get("created")))
    try:
        from cryptography import x509  # noqa: F401  (checked once here)
    except ImportError:
        return problems + [("WACZ_SIGNATURE_NOT_CHECKED", "signature present, not checked: "
                            "the cryptography library is not installed", None, None)]
    if not isinstance(signed.get("domainCert"), str):
        return problems + _check_anonymous(signed)
    problems += _check_certificates(signed)
    if "timeSignature" in signed:
        problems.append(("WACZ_SIGNATURE_NOT_CHECKED", "the RFC 3161 timestamp "
                         "(timeSignature) is not checked: the signing time rests on "
                         "created alone", None, None))
    return problems


def _verifies(key: Any, signature_b64: str, text: str) -> bool:
    """Whether ``signature_b64`` (DER, as authsign writes it, or the raw r|s of WebCrypto,
    as ArchiveWeb.page writes it) is an ECDSA P-256/SHA-256 signature of ``text``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    if not isinstance(key, ec.EllipticCurvePublicKey):
        return False
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return False
    half = (key.curve.key_size + 7) // 8
    forms = [signature]
    if len(signature) == 2 * half:
        forms.append(encode_dss_signature(int.from_bytes(signature[:half], "big"),
                                          int.from_bytes(signature[half:], "big")))
    for form in forms:
        try:
            key.verify(form, text.encode("ascii"), ec.ECDSA(hashes.SHA256()))
            return True
        except (InvalidSignature, ValueError, UnicodeEncodeError):
            continue
    return False


def _check_anonymous(signed: dict[str, Any]) -> list[Problem]:
    """An anonymous signature: the hash signed with the key in ``publicKey`` (base64
    DER SubjectPublicKeyInfo, or PEM), which nothing in the WACZ vouches for."""
    from cryptography.hazmat.primitives import serialization

    text = signed["publicKey"]
    try:
        if "-----BEGIN" in text:
            key: Any = serialization.load_pem_public_key(text.encode("ascii"))
        else:
            key = serialization.load_der_public_key(base64.b64decode(text, validate=True))
    except (ValueError, binascii.Error, UnicodeEncodeError, TypeError) as e:
        return [("WACZ_SIGNATURE_INVALID", f"publicKey is not a public key ({e})", None,
                 text[:60])]
    if not _verifies(key, signed["signature"], signed["hash"]):
        return [("WACZ_SIGNATURE_INVALID", "the signature does not verify with the "
                 "publicKey: the package or its signature was changed", None,
                 signed["signature"][:60])]
    return [("WACZ_SIGNATURE_ANONYMOUS", "an anonymous signature: it verifies with its "
             "own publicKey, which nothing in the WACZ vouches for (compare the key with "
             "one its creator gave you)", None, text[:60])]


def _check_certificates(signed: dict[str, Any]) -> list[Problem]:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature

    bad = "WACZ_SIGNATURE_INVALID"
    try:
        chain = x509.load_pem_x509_certificates(signed["domainCert"].encode("ascii"))
    except (ValueError, UnicodeEncodeError) as e:
        return [(bad, f"domainCert is not a PEM certificate chain ({e})", None, None)]
    for cert, issuer in zip(chain, chain[1:], strict=False):
        try:
            cert.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            return [(bad, "the domain certificate chain is broken: a certificate is not "
                     "signed by the next", issuer.subject.rfc4514_string(),
                     cert.issuer.rfc4514_string())]
    problems: list[Problem] = []
    if not _trusted(chain[-1]):
        problems.append(("WACZ_SIGNATURE_UNTRUSTED", "the domain certificate chain ends "
                         "at no trusted root (Mozilla's CA bundle): anyone can make such "
                         "a certificate", "a trusted root",
                         chain[-1].issuer.rfc4514_string()))
    leaf = chain[0]
    if not _verifies(leaf.public_key(), signed["signature"], signed["hash"]):
        problems.append((bad, "the signature does not verify with the domain "
                         "certificate's key: the package or its signature was changed",
                         None, signed["signature"][:60]))
    domain = signed.get("domain")
    names = _names(leaf)
    if domain not in names:
        problems.append((bad, "the domain certificate is not for the signing domain",
                         domain, ", ".join(names)))
    when = _date(signed.get("created"))
    if when is None:
        problems.append((bad, "created is not an RFC 3339 time", None,
                         signed.get("created")))
    elif not leaf.not_valid_before_utc <= when <= leaf.not_valid_after_utc:
        problems.append((bad, "the domain certificate was not valid when the package "
                         "was created", f"{leaf.not_valid_before_utc} to "
                         f"{leaf.not_valid_after_utc}", signed.get("created")))
    return problems


def _names(cert: Any) -> list[str]:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    names = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names += san.value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        pass
    return names


def _date(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


@lru_cache(maxsize=1)
def _roots() -> tuple[Any, ...]:
    import certifi
    from cryptography import x509
    from cryptography.utils import CryptographyDeprecationWarning

    with open(certifi.where(), "rb") as f, warnings.catch_warnings():
        # A few roots of the bundle have a serial number RFC 5280 disallows.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return tuple(x509.load_pem_x509_certificates(f.read()))


def _trusted(last: Any) -> bool:
    """``last`` is a trusted root, is signed by one, or is a cross-signed copy of one
    (same subject and key, as Let's Encrypt's ISRG Root X1 signed by DST Root CA X3)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization

    def spki(cert: Any) -> bytes:
        data: bytes = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return data

    mine = spki(last)
    for root in _roots():
        if root.subject == last.subject and spki(root) == mine:
            return True
        if root.subject == last.issuer:
            try:
                last.verify_directly_issued_by(root)
                return True
            except (ValueError, TypeError, InvalidSignature):
                continue
    return False
