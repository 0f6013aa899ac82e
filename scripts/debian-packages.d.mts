/** Installs the missing Debian packages (apt-get as root); returns those it installed. */
export function ensureDebianPackages(
  pkgs: string[],
  options?: { log?: (line: string) => void },
): string[];
export function isDebianPackageInstalled(pkg: string): boolean;
