/** The hamelin spec and package version, as reported in H-VERSION. */
export const VERSION = '0.2.0';
/** MAJOR.MINOR of the spec, as used in H-TYPE (`TCP-0.2-INSECURE`). */
export const SPEC_VERSION = '0.2';
