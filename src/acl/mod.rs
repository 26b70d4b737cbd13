//! ACL and identity engine: SDDL, effective access, IIS identities.
