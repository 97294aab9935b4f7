"""The spec artifact's format version, on its own so that reading a spec never imports
the compiler that writes one."""

SPEC_VERSION = "policykit.spec/v1"
