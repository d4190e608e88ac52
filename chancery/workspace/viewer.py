"""Who is asking: the one value every workspace and visibility check takes."""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("anonymous", "reader", "researcher", "admin")
LOCAL = "local"  # the one user of an archive used without --auth


@dataclass(frozen=True)
class Viewer:
    """A user (or nobody) with a role and the groups whose shared material they may see."""

    name: str | None
    role: str = "reader"
    groups: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {self.role!r}")

    @classmethod
    def local(cls) -> Viewer:
        """The single user of a local archive: sees and may change everything."""
        return cls(LOCAL, "admin")

    @classmethod
    def anonymous(cls) -> Viewer:
        """A visitor who has not logged in: public material only, no workspace."""
        return cls(None, "anonymous")

    @property
    def can_write(self) -> bool:
        """Researchers and admins annotate, keep lists and judge entities; readers only read."""
        return self.role in ("researcher", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"
