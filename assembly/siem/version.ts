// The device version written in CEF and LEEF headers: this normalizer's
// release (package.json "version"; a test keeps the two equal).
export const DEVICE_VERSION = "0.1.0";
