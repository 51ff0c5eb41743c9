// Preset `server`: a Linux server whose network-facing services run guarded.

export const server = `# omamori preset "server" — a Linux server with guarded network services.
omamori: 1
name: server
version: 1
description: >-
  Linux server. Nothing in user space (home folders, /tmp, /var/tmp, /dev/shm, removable media) starts unless
  trusted. Network-facing services (web, mail, DNS, databases, application servers) run guarded: a compromised
  service cannot start shells, interpreters or download tools, cannot write programs, configuration or autostart
  locations, cannot read keys, and cannot touch other processes. Administrators' own logins are not contained.
mode: enforce
failMode: open
decisionTimeoutMs: 250
userSpace:
  probe: true
  paths: ["@user-space"]
  systemFolders: ["%WINDIR%/**", "%PROGRAMFILES%/**", "%PROGRAMFILES(X86)%/**"]
trust:
  packageManager: true
  hashes: []
  paths: []
  publishers: []
  exceptions: []
guarded:
  applications:
    - id: web
      kind: network-service
      names: [nginx, apache2, httpd, lighttpd, caddy, php-fpm, php-fpm8.2, php-cgi, uwsgi, gunicorn, tomcat, java]
      profiles: ["/var/log/nginx/**", "/var/log/apache2/**", "/var/cache/nginx/**", "/var/lib/nginx/**",
                 "/var/lib/php/**", "/run/**", "/var/lib/tomcat*/**"]
    - id: mail-server
      kind: network-service
      names: [dovecot, exim4]
      paths: ["/usr/lib/postfix/sbin/**", "/usr/lib/dovecot/**"]
      profiles: ["/var/spool/postfix/**", "/var/lib/postfix/**", "/var/mail/**", "/var/spool/exim4/**", "/run/**",
                 "/var/lib/dovecot/**", "/var/log/**"]
    - id: dns
      kind: network-service
      names: [named, unbound, dnsmasq]
      profiles: ["/var/cache/bind/**", "/var/lib/unbound/**", "/var/lib/misc/**", "/run/**"]
    - id: database
      kind: network-service
      names: [postgres, mysqld, mariadbd, redis-server, mongod, memcached]
      profiles: ["/var/lib/postgresql/**", "/var/lib/mysql/**", "/var/lib/redis/**", "/var/lib/mongodb/**",
                 "/var/log/postgresql/**", "/var/log/mysql/**", "/var/log/redis/**", "/run/**"]
    - id: file-sharing
      kind: network-service
      names: [smbd, vsftpd, proftpd]
      profiles: ["/var/lib/samba/**", "/var/log/samba/**", "/run/**", "/srv/**"]
  deniedChildren: ["@shells", "@script-hosts", "@lolbins", "@downloaders"]
  allowedChildren: []
  writeProtect: ["@autostart", "/etc/**", "/usr/**", "/bin/**", "/sbin/**", "/lib/**", "/lib64/**", "/boot/**",
                 "/opt/**", "/var/www/**", "/srv/**", "/root/**", "/home/**", "/var/lib/dpkg/**", "/var/spool/cron/**"]
  writable: ["/tmp/**", "/var/tmp/**", "/var/log/**", "/var/cache/**", "/run/**"]
  readProtect: ["@private", "/etc/shadow", "/etc/gshadow", "/etc/ssh/ssh_host_*", "/root/**"]
  processProtection: true
persistence:
  denyUserSpaceCode: true
  denySystemHooks: true
  trustedInstallers: ["%WINDIR%/servicing/TrustedInstaller.exe", "%WINDIR%/WinSxS/**/TiWorker.exe",
                      "%WINDIR%/System32/msiexec.exe", "%WINDIR%/SysWOW64/msiexec.exe"]
`;
