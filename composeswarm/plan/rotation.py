"""Secret and config versions: a content digest on each, and the name of a rotated version.

The engine never returns secret data and cannot change it in place, so a changed file becomes a new
object `<stack>_<name>_<hash>`, the services move to it, and the old version is removed.
"""

from __future__ import annotations

import hashlib

# The sha256 of a secret's or config's content, on every one composeswarm creates: the engine never
# returns secret data, so this label is how a later plan knows whether the file changed.
DIGEST_LABEL = "com.docker.stack.composeswarm.digest"
NAME_LIMIT = 64  # swarm's limit on object names
# What a changed secret or config shows instead of its content (never the content, nor its digest).
OLD_CONTENT = "(old content)"
NEW_CONTENT = "(new content)"
HASH_LEN = 10  # hex digits of the digest in a rotated name: <stack>_<name>_<hash>


def content_digest(data: bytes) -> str:
    """The sha256 hex digest of a secret's or config's content."""
    return hashlib.sha256(data).hexdigest()


def versioned_name(base: str, digest: str) -> str:
    """`<base>_<hash>`, the name of a rotated version, cut to swarm's 64-character limit."""
    suffix = "_" + digest[:HASH_LEN]
    return base[: NAME_LIMIT - len(suffix)] + suffix
