"""Findings of a verification: data with a stable code, never exceptions.

Every code is listed in ``CODES`` with its severity and is documented in docs/verify.md
(tests/test_verify_report.py checks both ways). An ``error`` means the archive is not what
it should be, and makes ``preserve verify`` exit 1; a ``warning`` is worth a look but
proves no damage (a revisit whose original is in a WARC file not given, say).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ..safeopen import Refused

__all__ = ["Finding", "FileResult", "Report", "CODES", "Severity", "finding", "Capped",
           "FINDINGS_PER_CODE", "refused_finding"]

Severity = Literal["error", "warning"]

CODES: dict[str, tuple[Severity, str]] = {
    # One file, read whole: fixity.
    "FILE_UNREADABLE": ("error", "a file cannot be opened or read"),
    "FILE_MISSING": ("error", "a file listed in the manifest (or recorded closed) is missing"),
    "FILE_UNLISTED": ("error", "a file in the collection is in no manifest"),
    "FIXITY_MISMATCH": ("error", "a file's digest differs from its manifest line"),
    "FILE_OPEN": ("warning", "a WARC file still being written (.open) was not checked"),
    "FILE_NOT_REGULAR": ("error", "a FIFO, device, socket or directory where a file belongs"),
    "FILE_SYMLINK": ("error", "a symbolic link in the collection (never followed)"),
    # The manifest and the append-only files.
    "MANIFEST_MALFORMED": ("error", "a manifest line is not `<hex digest>  <path>`"),
    "MANIFEST_DUPLICATE": ("error", "a path is listed twice in one manifest"),
    "MANIFEST_EVENT_MISMATCH": ("error", "the manifest disagrees with the `file closed` events"),
    "FILE_REWRITTEN": ("error", "an append-only file was changed, not only appended to"),
    "EVENTS_MALFORMED": ("warning", "a line of events.jsonl is not a complete event"),
    "EVENTS_CHAIN_BROKEN": ("error", "events.jsonl's hash chain breaks: a past event changed"),
    "EVENTS_NOT_RECORDED": ("warning", "the run's fixity checks could not be recorded"),
    "CONFIG_INVALID": ("error", "preserve.toml cannot be loaded"),
    "CONFIG_CHANGED": ("error", "preserve.toml differs from its digest at the last check"),
    # WARC structure.
    "WARC_NOT_WARC": ("error", "the file does not start with a WARC record"),
    "WARC_GZIP_CORRUPT": ("error", "a gzip member is corrupt (bad data or CRC)"),
    "WARC_TRUNCATED": ("error", "the file ends inside a record"),
    "WARC_CONTENT_LENGTH": ("error", "a record's block is not Content-Length bytes long"),
    "WARC_HEADER_MALFORMED": ("error", "a record header block cannot be parsed"),
    "WARC_HEADER_MISSING": ("error", "a mandatory WARC header is missing"),
    "WARC_HEADER_INVALID": ("error", "a WARC header has a value of the wrong form"),
    "WARC_HEADER_DUPLICATE": ("error", "a WARC header that must be unique is repeated"),
    "WARC_FIELD_NOT_ALLOWED": ("error", "a WARC header is used in a record type that "
                               "the standard forbids it in"),
    "WARC_VERSION_UNKNOWN": ("warning", "a record's version is no published WARC version"),
    "WARC_CASE_UNUSUAL": ("warning", "a version line, record type or date in unusual case"),
    "WARC_TYPE_UNKNOWN": ("warning", "a record of a type the standard does not define"),
    "WARC_CONTENT_TYPE_MISSING": ("warning", "a record with a block has no Content-Type"),
    "WARC_CONTENT_TYPE_UNUSUAL": ("warning", "a warcinfo block that is not "
                                  "application/warc-fields"),
    "WARC_DUPLICATE_ID": ("error", "a WARC-Record-ID is used by more than one record"),
    "WARC_TRAILING_DATA": ("error", "bytes after the last record are not a record"),
    "WARC_SHARED_MEMBER": ("warning", "several records share one gzip member"),
    # Digests.
    "WARC_BLOCK_DIGEST": ("error", "WARC-Block-Digest does not match the block"),
    "WARC_PAYLOAD_DIGEST": ("error", "WARC-Payload-Digest does not match the payload"),
    "WARC_DIGEST_MALFORMED": ("error", "a digest header cannot be decoded"),
    "WARC_DIGEST_UNSUPPORTED": ("warning", "a digest uses an algorithm that cannot be checked"),
    "WARC_REVISIT_UNRESOLVED": ("error", "a revisit refers to a record that does not exist"),
    "WARC_REVISIT_EXTERNAL": ("warning", "a revisit's original is not among the files checked"),
    "WARC_REVISIT_DIGEST": ("error", "a revisit's payload digest differs from its original's"),
    # Derived files.
    "INDEX_MISSING": ("error", "the collection's CDXJ index is missing"),
    "INDEX_MALFORMED": ("error", "a CDXJ line cannot be parsed"),
    "INDEX_UNSORTED": ("error", "the CDXJ index is not sorted"),
    "INDEX_BAD_OFFSET": ("error", "a CDXJ line's offset and length name no indexed record"),
    "INDEX_ENTRY_MISMATCH": ("error", "a CDXJ line's fields differ from the record it names"),
    "INDEX_ENTRY_MISSING": ("error", "an indexable record has no CDXJ line"),
    "PAGES_MISSING": ("error", "the collection's pages list is missing"),
    "PAGES_MALFORMED": ("error", "a pages.jsonl line cannot be parsed"),
    "PAGES_NOT_CAPTURED": ("error", "a pages.jsonl line names no captured page"),
    "PAGES_ENTRY_MISMATCH": ("error", "a pages.jsonl line differs from the capture it names"),
    "PAGES_ENTRY_MISSING": ("error", "a captured page is not in pages.jsonl"),
    "PAGES_ORDER": ("error", "pages.jsonl is not sorted by time, then URL"),
    "NORMALISED_MALFORMED": ("error", "a line of normalise's output is not a JSON object"),
    "NORMALISED_CHANGED": ("error", "normalise's output changed since normalise wrote it"),
    # BagIt bags (verify/bag.py; docs/verify.md, "BagIt bags").
    "BAGIT_DECLARATION_MISSING": ("error", "a bag has no bagit.txt"),
    "BAGIT_DECLARATION_MALFORMED": ("error", "bagit.txt is not exactly its two lines"),
    "BAGIT_DECLARATION_BOM": ("error", "bagit.txt starts with a byte-order mark"),
    "BAGIT_VERSION_INVALID": ("error", "BagIt-Version is not M.N"),
    "BAGIT_VERSION_UNKNOWN": ("warning", "BagIt-Version is no published version"),
    "BAGIT_ENCODING_UNKNOWN": ("error", "Tag-File-Character-Encoding names no known "
                               "character set"),
    "BAGIT_ENCODING_LEGACY": ("warning", "tag files are not in UTF-8"),
    "BAGIT_LABEL_SPACING": ("warning", "whitespace around a colon, as bags before 1.0 "
                            "may have"),
    "BAGIT_TAG_BOM": ("error", "a UTF-8 tag file starts with a byte-order mark"),
    "BAGIT_TAG_UNDECODABLE": ("error", "a tag file is not in the declared encoding"),
    "BAGIT_PAYLOAD_DIR_MISSING": ("error", "a bag has no data/ directory"),
    "BAGIT_PAYLOAD_EMPTY": ("warning", "a bag has no payload files"),
    "BAGIT_EMPTY_DIRECTORY": ("warning", "an empty directory in the payload"),
    "BAGIT_MANIFEST_MISSING": ("error", "a bag has no payload manifest"),
    "BAGIT_MANIFEST_MALFORMED": ("error", "a manifest line is not `checksum path`"),
    "BAGIT_MANIFEST_DUPLICATE": ("error", "a manifest lists a path twice"),
    "BAGIT_MANIFEST_REPEATED": ("warning", "a bag before 1.0 lists a path twice with one "
                                "digest"),
    "BAGIT_MANIFEST_BINARY_MARK": ("warning", "a manifest line in md5sum's binary form"),
    "BAGIT_ALGORITHM_UNSUPPORTED": ("warning", "a manifest of an algorithm preserve "
                                    "cannot compute"),
    "BAGIT_PATH_UNSAFE": ("error", "a path that could lead out of the bag"),
    "BAGIT_PATH_OUTSIDE_PAYLOAD": ("error", "a payload manifest or fetch.txt lists a "
                                   "path outside data/"),
    "BAGIT_PATH_IN_PAYLOAD": ("error", "a tag manifest lists a payload file"),
    "BAGIT_PATH_PERCENT": ("warning", "a `%` in a path that is not percent-encoded"),
    "BAGIT_PATH_DOT_SLASH": ("warning", "a path starting with `./`"),
    "BAGIT_FILE_MISSING": ("error", "a file listed in a manifest is not in the bag"),
    "BAGIT_FILE_UNLISTED": ("error", "a payload file missing from a payload manifest"),
    "BAGIT_FILE_PARTLY_LISTED": ("warning", "a payload file in some payload manifests "
                                 "only, as bags before 1.0 may have"),
    "BAGIT_DIGEST_MISMATCH": ("error", "a file's digest differs from its manifest line"),
    "BAGIT_NAME_MISMATCH": ("warning", "a listed name matches a file only ignoring case "
                            "or Unicode normalisation"),
    "BAGIT_NAMES_AMBIGUOUS": ("warning", "names that differ only in case or Unicode "
                              "normalisation"),
    "BAGIT_NAME_NOT_NFC": ("warning", "a payload file name not in Unicode NFC"),
    "BAGIT_HIDDEN_FILE": ("warning", "a hidden or operating-system file in the payload"),
    "BAGIT_TAGMANIFEST_INCOMPLETE": ("error", "a tag manifest does not list a payload "
                                     "manifest"),
    "BAGIT_TAGMANIFEST_SELF": ("error", "a tag manifest lists a tag manifest"),
    "BAGIT_TAG_UNLISTED": ("warning", "a tag file not in a tag manifest"),
    "BAGIT_TAGMANIFEST_ALGORITHMS": ("warning", "tag and payload manifests of different "
                                     "algorithms"),
    "BAGIT_INFO_MALFORMED": ("error", "a bag-info.txt line is not `Label: value`"),
    "BAGIT_INFO_UNUSUAL": ("warning", "a reserved bag-info.txt element of unusual form, "
                           "or repeated"),
    "BAGIT_OXUM_INVALID": ("error", "Payload-Oxum is malformed or repeated"),
    "BAGIT_OXUM_MISMATCH": ("error", "Payload-Oxum differs from the payload"),
    "BAGIT_FETCH_MALFORMED": ("error", "a fetch.txt line is not `url length path`"),
    "BAGIT_FETCH_UNLISTED": ("error", "a fetch.txt file is not in every payload manifest"),
    "BAGIT_FETCH_PENDING": ("warning", "a file of fetch.txt is not fetched yet"),
    "BAGIT_FETCH_LENGTH": ("warning", "a fetched file's size differs from fetch.txt's"),
    "BAGIT_SYMLINK": ("error", "a symbolic or hard link in a bag (never followed)"),
    "BAGIT_NOT_REGULAR": ("error", "a FIFO, device or socket in a bag"),
    "BAGIT_ARCHIVE_OUTSIDE": ("warning", "archive members outside the bag's directory"),
    "PACKAGE_UNREADABLE": ("error", "a package (bag, OCFL object or root, WACZ) cannot be "
                           "opened as one"),
    # OCFL objects and storage roots (verify/ocflpkg.py; docs/verify.md, "OCFL").
    # The specification's own validation codes (OCFL 1.1, "Validation Codes").
    "OCFL_E001": ("error", "the object root holds a file or directory the specification does not "
                           "allow there"),
    "OCFL_E002": ("error", "the object's version declaration is not a NAMASTE file"),
    "OCFL_E003": ("error", "the object root has no version declaration (0=ocfl_object_1.x), or "
                           "more than one"),
    "OCFL_E004": ("error", "the object declaration's file name is not of the form T=dvalue"),
    "OCFL_E005": ("error", "the object declaration's file name does not start with 0="),
    "OCFL_E006": ("error", "the object declaration's dvalue is not ocfl_object_ and a "
                           "specification version"),
    "OCFL_E007": ("error", "the object declaration's text is not its dvalue and a newline"),
    "OCFL_E008": ("error", "the object has no version"),
    "OCFL_E009": ("error", "the version numbers do not start at 1"),
    "OCFL_E010": ("error", "the version numbers are not continuous (a version missing or one too "
                           "many)"),
    "OCFL_E011": ("error", "zero-padded version names do not start with v0, or outgrow their "
                           "padding"),
    "OCFL_E012": ("error", "version names mix padded and unpadded forms, or paddings of different"
                           " length"),
    "OCFL_E013": ("error", "a later version does not follow the naming of the earlier versions"),
    "OCFL_E014": ("error", "an inventory names a file in a version directory by another name than"
                           " the directory's"),
    "OCFL_E015": ("error", "a version directory holds a file other than its inventory and its "
                           "sidecar"),
    "OCFL_E016": ("error", "a version with files has no content directory"),
    "OCFL_E017": ("error", "contentDirectory contains a slash"),
    "OCFL_E018": ("error", "contentDirectory is . or .."),
    "OCFL_E019": ("error", "contentDirectory is set in a later version but not in the first"),
    "OCFL_E020": ("error", "contentDirectory changes between versions"),
    "OCFL_E021": ("error", "the content directory is not called content although no "
                           "contentDirectory is given"),
    "OCFL_E022": ("error", "a validator read a directory of a version directory other than its "
                           "content directory"),
    "OCFL_E023": ("error", "a file in a content directory is in no manifest (or a later manifest "
                           "dropped a file)"),
    "OCFL_E024": ("error", "an empty directory in a content directory"),
    "OCFL_E025": ("error", "digestAlgorithm is neither sha512 nor sha256"),
    "OCFL_E026": ("error", "a fixity digest algorithm outside the specification's list and its "
                           "extensions"),
    "OCFL_E027": ("error", "a client does not support a fixity algorithm of the specification's "
                           "table"),
    "OCFL_E028": ("error", "a client reported an optional fixity algorithm it does not support"),
    "OCFL_E029": ("error", "a sha1 digest is not hexadecimal"),
    "OCFL_E030": ("error", "a sha256 digest is not hexadecimal"),
    "OCFL_E031": ("error", "a sha512 digest is not hexadecimal"),
    "OCFL_E032": ("error", "a blake2b-512 digest is not hexadecimal"),
    "OCFL_E033": ("error", "the inventory is not a JSON object of the form the specification "
                           "describes"),
    "OCFL_E034": ("error", "an inventory file is not named inventory.json"),
    "OCFL_E035": ("error", "a content path uses a path separator other than /"),
    "OCFL_E036": ("error", "the inventory lacks id, type, digestAlgorithm or head"),
    "OCFL_E037": ("error", "the id is not a non-empty string, or differs between the inventories "
                           "of one object"),
    "OCFL_E038": ("error", "the inventory type is not the URI of the inventory section of the "
                           "declared version"),
    "OCFL_E039": ("error", "a manifest or state key is not a digest of digestAlgorithm"),
    "OCFL_E040": ("error", "head is not the highest version (or not the version directory holding"
                           " the inventory)"),
    "OCFL_E041": ("error", "the inventory lacks manifest or versions"),
    "OCFL_E042": ("error", "a content path is not inside a version's content directory"),
    "OCFL_E043": ("error", "the inventory has no versions block"),
    "OCFL_E044": ("error", "versions is not a JSON object"),
    "OCFL_E045": ("error", "versions is not a JSON object"),
    "OCFL_E046": ("error", "a version directory is not in versions, or a version has no directory"),
    "OCFL_E047": ("error", "a version is not a JSON object"),
    "OCFL_E048": ("error", "a version lacks created or state"),
    "OCFL_E049": ("error", "created is not an RFC 3339 date and time with seconds and a time zone"),
    "OCFL_E050": ("error", "a state digest is not a manifest key (the exact string), or state is "
                           "malformed"),
    "OCFL_E051": ("error", "a logical path is not a string of elements joined by /"),
    "OCFL_E052": ("error", "a logical path has an element that is ., .. or empty"),
    "OCFL_E053": ("error", "a logical path begins or ends with /"),
    "OCFL_E054": ("error", "user is not an object with a string name (or its address is not a "
                           "string)"),
    "OCFL_E055": ("error", "the fixity block is under another key than fixity"),
    "OCFL_E056": ("error", "a fixity block names an unknown digest algorithm"),
    "OCFL_E057": ("error", "a fixity block is not digest keys with lists of manifest content "
                           "paths"),
    "OCFL_E058": ("error", "an inventory has no sidecar file with its digest"),
    "OCFL_E059": ("error", "the sidecar's algorithm is not the inventory's digestAlgorithm"),
    "OCFL_E060": ("error", "the inventory's digest differs from its sidecar"),
    "OCFL_E061": ("error", "the sidecar is not one line `DIGEST inventory.json`"),
    "OCFL_E062": ("error", "the sidecar was written before the inventory was complete"),
    "OCFL_E063": ("error", "the object root has no inventory.json"),
    "OCFL_E064": ("error", "the root inventory differs from the inventory of the last version"),
    "OCFL_E066": ("error", "a version inventory disagrees with the root inventory about an "
                           "earlier version's state"),
    "OCFL_E067": ("error", "the object's extensions directory holds something other than "
                           "directories"),
    "OCFL_E069": ("error", "the storage root has no declaration (0=ocfl_1.x)"),
    "OCFL_E070": ("error", "ocfl_layout.json lacks extension or description (or is no JSON "
                           "object)"),
    "OCFL_E071": ("error", "ocfl_layout.json's extension is not an extension name"),
    "OCFL_E072": ("error", "a file under the storage root belongs to no object"),
    "OCFL_E073": ("error", "an empty directory under the storage root"),
    "OCFL_E074": ("error", "a storage root is not independent of another"),
    "OCFL_E075": ("error", "the storage root declaration is not a NAMASTE file"),
    "OCFL_E076": ("error", "the storage root has more than one declaration"),
    "OCFL_E077": ("error", "the storage root declaration's file name is not of the form T=dvalue"),
    "OCFL_E078": ("error", "the storage root declaration's file name does not start with 0="),
    "OCFL_E079": ("error", "the storage root declaration's dvalue is not ocfl_ and a "
                           "specification version"),
    "OCFL_E080": ("error", "the storage root declaration's text is not its dvalue and a newline"),
    "OCFL_E081": ("error", "an object declares a later specification version than its storage "
                           "root"),
    "OCFL_E082": ("error", "an object root is neither the end of a storage hierarchy nor a child "
                           "of the root"),
    "OCFL_E083": ("error", "no deterministic mapping from an object's id to its path"),
    "OCFL_E084": ("error", "a file in an intermediate directory of the storage hierarchy"),
    "OCFL_E085": ("error", "a storage hierarchy ends in a directory that is not an object root"),
    "OCFL_E087": ("error", "a validator judged a file in the storage root it does not understand"),
    "OCFL_E088": ("error", "a directory under the storage root that is neither storage hierarchy "
                           "nor extension"),
    "OCFL_E089": ("error", "non-OCFL features stored without a disk or file system image around "
                           "them"),
    "OCFL_E090": ("error", "a hard or symbolic link in the storage hierarchy or an object"),
    "OCFL_E092": ("error", "a manifest content path is missing, or the file's digest differs from"
                           " its manifest key"),
    "OCFL_E093": ("error", "a fixity content path is missing, or the file's digest differs from "
                           "the fixity value"),
    "OCFL_E094": ("error", "a version's message is not a string"),
    "OCFL_E095": ("error", "a logical path is repeated, or is also a directory of another, in one"
                           " version"),
    "OCFL_E096": ("error", "a digest occurs twice in the manifest (differing only in case)"),
    "OCFL_E097": ("error", "a digest occurs twice in one fixity algorithm's block (differing only"
                           " in case)"),
    "OCFL_E098": ("error", "a content path is not a string of elements joined by /"),
    "OCFL_E099": ("error", "a content path has an element that is ., .. or empty"),
    "OCFL_E100": ("error", "a content path begins or ends with /"),
    "OCFL_E101": ("error", "a content path is repeated, or is also a directory of another"),
    "OCFL_E102": ("error", "the inventory has a key the specification does not define"),
    "OCFL_E103": ("error", "a version follows an earlier one of a later specification version"),
    "OCFL_E104": ("error", "a version name is not v and a number"),
    "OCFL_E105": ("error", "a version number is not a positive base-ten integer"),
    "OCFL_E106": ("error", "manifest is not a JSON object"),
    "OCFL_E107": ("error", "a manifest digest is in no version's state"),
    "OCFL_E108": ("error", "contentDirectory is not a direct child of the version directory"),
    "OCFL_E110": ("error", "the object's id changes between versions"),
    "OCFL_E111": ("error", "fixity is not a JSON object"),
    "OCFL_E112": ("error", "the storage root's extensions directory holds something other than "
                           "directories"),
    "OCFL_W001": ("warning", "version names are zero-padded"),
    "OCFL_W002": ("warning", "a version directory holds a directory other than its content "
                             "directory"),
    "OCFL_W003": ("warning", "a version has a content directory with no file in it"),
    "OCFL_W004": ("warning", "digestAlgorithm is sha256, not sha512"),
    "OCFL_W005": ("warning", "the id is not a URI"),
    "OCFL_W007": ("warning", "a version lacks message or user"),
    "OCFL_W008": ("warning", "a version's user has no address"),
    "OCFL_W009": ("warning", "a version's user address is not a URI"),
    "OCFL_W010": ("warning", "a version directory has no inventory"),
    "OCFL_W011": ("warning", "a version inventory's created, message or user differs from the "
                             "root inventory's"),
    "OCFL_W012": ("warning", "the logs directory holds something other than records of actions on"
                             " the object"),
    "OCFL_W013": ("warning", "an object extension directory has no registered extension name"),
    "OCFL_W014": ("warning", "the storage root uses more than one layout"),
    "OCFL_W015": ("warning", "the storage root mixes top-level objects and a hierarchy of objects"),
    "OCFL_W016": ("warning", "a storage root extension directory has no registered extension name"),
    "PACKAGE_NOT_SUPPORTED": ("error", "a kind of package that preserve cannot verify yet"),
    # WACZ files (verify/waczpkg.py; docs/verify.md, "WACZ files").
    "WACZ_EXTENSION": ("error", "a WACZ file's name does not end in .wacz"),
    "WACZ_ZIP_MALFORMED": ("error", "a ZIP member's local header disagrees with the "
                           "central directory, members overlap, or one is encrypted"),
    "WACZ_ZIP_CRC": ("error", "a ZIP member's data is damaged (CRC or inflation fails)"),
    "WACZ_PATH_UNSAFE": ("error", "a ZIP member name could escape the unpack directory"),
    "WACZ_DUPLICATE_NAME": ("error", "two ZIP members have one name"),
    "WACZ_COMPRESSED_TWICE": ("error", "an already compressed file is deflated in the ZIP"),
    "WACZ_NOT_STORED": ("warning", "a WARC is deflated in the ZIP, not stored"),
    "WACZ_DATAPACKAGE_MISSING": ("error", "the WACZ has no datapackage.json"),
    "WACZ_DATAPACKAGE_MALFORMED": ("error", "datapackage.json lacks a required property or "
                                   "a resource is malformed"),
    "WACZ_VERSION_UNKNOWN": ("warning", "wacz_version is none that preserve knows"),
    "WACZ_METADATA_MISSING": ("warning", "datapackage.json has no title, created or "
                              "software"),
    "WACZ_HASH_UNSUPPORTED": ("warning", "a resource's hash uses an algorithm that cannot "
                              "be computed"),
    "WACZ_RESOURCE_MISSING": ("error", "a resource of datapackage.json is not in the ZIP"),
    "WACZ_RESOURCE_HASH": ("error", "a member's hash differs from its resource entry"),
    "WACZ_RESOURCE_SIZE": ("error", "a member's size differs from its resource entry"),
    "WACZ_UNLISTED": ("error", "a ZIP member is not listed in datapackage.json"),
    "WACZ_ARCHIVE_MISSING": ("error", "the WACZ has no WARC in archive/"),
    "WACZ_INDEX_MISSING": ("error", "the WACZ has no CDXJ index in indexes/"),
    "WACZ_PAGES_MISSING": ("error", "the WACZ has no pages/pages.jsonl"),
    "WACZ_FOREIGN_FILE": ("error", "a file of another kind in archive/, indexes/ or pages/"),
    "WACZ_WARC_NAME": ("warning", "a WARC in archive/ is not named .warc or .warc.gz as "
                       "its content says"),
    "WACZ_DIGEST_MISSING": ("warning", "the WACZ has no datapackage-digest.json"),
    "WACZ_DIGEST_MALFORMED": ("error", "datapackage-digest.json lacks path or hash"),
    "WACZ_DIGEST_MISMATCH": ("error", "datapackage-digest.json's hash is not that of "
                             "datapackage.json"),
    "WACZ_SIGNATURE_INVALID": ("error", "the signature of datapackage-digest.json does "
                               "not verify"),
    "WACZ_SIGNATURE_UNTRUSTED": ("error", "the signing certificate chains to no trusted "
                                 "root"),
    "WACZ_SIGNATURE_ANONYMOUS": ("warning", "a signature by a key that nothing in the WACZ "
                                 "vouches for"),
    "WACZ_SIGNATURE_NOT_CHECKED": ("warning", "a part of the signature was not checked"),
    "WACZ_INDEX_MALFORMED": ("error", "an index line or gzip block cannot be parsed"),
    "WACZ_INDEX_UNSORTED": ("error", "an index is not sorted"),
    "WACZ_INDEX_BAD_OFFSET": ("error", "an index line names no record of a WARC inside"),
    "WACZ_INDEX_RECORD_DIGEST": ("error", "an index line's recordDigest is not the "
                                 "SHA-256 of the record's stored bytes"),
    "WACZ_INDEX_ENTRY_MISMATCH": ("warning", "an index line's key or time differs from "
                                  "its record's"),
    "WACZ_INDEX_ENTRY_MISSING": ("error", "a record that indexers index has no index "
                                 "line"),
    "WACZ_IDX_MISMATCH": ("error", "an index.idx line names no block of its gzip index"),
    "WACZ_PAGES_MALFORMED": ("error", "a pages line is not an object with url and an "
                             "RFC 3339 ts"),
    "WACZ_PAGE_NOT_INDEXED": ("error", "a page's URL has no line in any index"),
    # The run itself.
    "FINDINGS_LIMIT": ("warning", "more findings of one code in one file were left out"),
    "BUDGET_TOO_SMALL": ("warning", "a file larger than the size budget was not checked"),
}


FINDINGS_PER_CODE = 100


class Capped(list["Finding"]):
    """Findings of one check, at most FINDINGS_PER_CODE per code and file: a damaged file
    of a million records gives a readable report, and the rest are counted."""

    def __init__(self) -> None:
        super().__init__()
        self._counts: dict[tuple[str, str], int] = {}

    def add(self, f: Finding) -> None:
        key = (f.code, f.file)
        n = self._counts[key] = self._counts.get(key, 0) + 1
        if n <= FINDINGS_PER_CODE:
            self.append(f)

    def tally(self) -> dict[tuple[str, str], int]:
        """How many findings of each (code, file) were added, listed or left out."""
        return dict(self._counts)

    def add_counted(self, findings: Iterable[Finding],
                    tally: dict[tuple[str, str], int]) -> None:
        """Add the findings another Capped listed, then count those it left out (its
        ``tally``), as if they had all been added here in that order."""
        listed: Counter[tuple[str, str]] = Counter()
        for f in findings:
            listed[(f.code, f.file)] += 1
            self.add(f)
        for key, n in tally.items():
            self._counts[key] = self._counts.get(key, 0) + n - listed[key]

    def done(self) -> Capped:
        """Add a FINDINGS_LIMIT note for every code that went over; return self."""
        for (code, file), n in self._counts.items():
            if n > FINDINGS_PER_CODE:
                self.append(finding("FINDINGS_LIMIT", file, f"{n - FINDINGS_PER_CODE} more "
                                    f"{code} findings in this file were left out",
                                    expected=FINDINGS_PER_CODE, found=n))
        self._counts.clear()
        return self


@dataclass(frozen=True)
class Finding:
    """One problem: its code, the file (as given, or relative to the collection), the byte
    offset where it applies (or None), what was expected and what was found."""

    code: str
    file: str
    message: str
    offset: int | None = None
    expected: str | None = None
    found: str | None = None

    @property
    def severity(self) -> Severity:
        return CODES[self.code][0]

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, **asdict(self)}


def finding(code: str, file: str, message: str, offset: int | None = None,
            expected: object = None, found: object = None) -> Finding:
    if code not in CODES:
        raise KeyError(f"undocumented finding code {code}")
    return Finding(code, file, message, offset,
                   None if expected is None else str(expected),
                   None if found is None else str(found))


def refused_finding(e: Refused) -> Finding:
    """The finding for a path verify would not open (preserve.safeopen)."""
    if e.code == "FILE_SYMLINK":
        return finding("FILE_SYMLINK", e.rel, f"{e.what}: never followed (it may lead out "
                       "of the collection); put the file itself in its place")
    return finding("FILE_NOT_REGULAR", e.rel, f"{e.what}, not a regular file: never "
                   "opened (it could block or never end); remove it or put the file in "
                   "its place")


@dataclass
class FileResult:
    """What one read of one file established: its size, digests and per-file findings."""

    file: str
    size: int = 0
    digests: dict[str, str] = field(default_factory=dict)  # hashlib name -> hex
    records: int = 0
    findings: list[Finding] = field(default_factory=list)
    checked: bool = True  # False when the file could not be read at all

    @property
    def ok(self) -> bool:
        return self.checked and not any(f.severity == "error" for f in self.findings)


@dataclass
class Report:
    """All findings of one run, with the files it read and what it skipped."""

    findings: list[Finding] = field(default_factory=list)
    files: list[FileResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # left for a later run by --budget
    bytes_read: int = 0
    seconds: float = 0.0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(f.code for f in self.findings).items()))

    def for_file(self, name: str) -> list[Finding]:
        return [f for f in self.findings if f.file == name]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.findings) - len(self.errors),
            "counts": self.counts(),
            "files": [{"file": r.file, "size": r.size, "records": r.records,
                       "sha256": r.digests.get("sha256"),
                       "outcome": "pass" if r.file not in self._failed() else "fail"}
                      for r in self.files],
            "skipped": self.skipped,
            "bytes": self.bytes_read,
            "seconds": round(self.seconds, 3),
            "findings": [f.to_dict() for f in self.findings],
        }

    def _failed(self) -> set[str]:
        return {f.file for f in self.errors}
