// The one version of the omamori program: the CLI's --version, the agent's reports to the console, the evidence
// collector and the Debian package all read it here. Every package.json carries the same number (checked by a test).
export const OMAMORI_VERSION = '0.1.0';
