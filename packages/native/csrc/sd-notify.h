/* sd_notify(3) without libsystemd: see sd-notify.c. */
#ifndef OMAMORI_SD_NOTIFY_H
#define OMAMORI_SD_NOTIFY_H

#ifdef __cplusplus
extern "C" {
#endif

int om_sd_notify(const char *socket_path, const char *state);

#ifdef __cplusplus
}
#endif

#endif
