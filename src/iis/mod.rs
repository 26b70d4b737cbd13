//! IIS configuration engine: effective configuration for any site, application and path.
