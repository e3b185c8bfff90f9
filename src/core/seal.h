/*
 * seal.h - secrets at rest: seal and open a byte string with AES-256-GCM
 * (OpenSSL EVP) under a key kept outside the database (issue 9.4).
 *
 * What it is for: client secrets (HMAC secrets, JWT secrets, and later private
 * keys) stored in the database, so that a database file or a backup alone
 * reveals none of them. Not for: passwords (those would be hashed) or data
 * that must be searched.
 *
 * Envelope (text, safe inside JSON): "enc:v1:" followed by standard base64
 * (with padding) of nonce[12] | ciphertext | tag[16]. The version names the
 * algorithm and layout; a new one gets a new prefix and v1 keeps opening.
 * Each seal draws a fresh 96-bit nonce from OpenSSL's CSPRNG: with the few
 * thousand seals a key sees, a repeated nonce is out of reach.
 *
 * Associated data: the caller binds each value to where it belongs (for a
 * client secret: family, client key and field name). The tag covers it, so a
 * sealed value copied to another client or field does not open. Nothing of
 * the associated data is stored in the envelope.
 *
 * Key file: 64 hexadecimal characters (32 bytes) and an optional newline,
 * nothing else; a regular file with no permission bits for group or others
 * (0600 or stricter), else it is refused. seal_key_create makes one with
 * O_EXCL and mode 0600 and syncs it and its directory.
 *
 * Invariants: opening a text that seal_text_seal produced with the same key
 * and associated data gives back the same bytes; any other key, associated
 * data, or a change to a single byte of the envelope fails (the GCM tag); the
 * envelope's base64 is canonical, so one value has one text.
 *
 * Threading: pure functions over caller-owned data; thread-safe. Failure
 * leaves nothing behind (outputs are NULL, buffers holding key or plain
 * bytes are wiped before they are freed).
 */
#ifndef FG_SEAL_H
#define FG_SEAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/errors.h"

#define SEAL_KEY_BYTES 32
#define SEAL_PREFIX "enc:v1:"
#define SEAL_PLAIN_BYTES_MAX (64 * 1024) /* one sealed value */

struct seal_key {
    unsigned char bytes[SEAL_KEY_BYTES];
};

/* Read a key file. -FG_ENOT_FOUND when path does not exist; -FG_ESEAL when it
 * is not a regular file, is open to group or others, or is not 64 hex
 * characters. */
int seal_key_load(const char *path, struct seal_key *key, struct fg_err *err);
/* Create a key file with a new random key (O_EXCL, 0600). -FG_EEXISTS when the
 * file exists, -FG_ESEAL on any other failure. */
int seal_key_create(const char *path, struct seal_key *key, struct fg_err *err);
void seal_key_wipe(struct seal_key *key);

/* Does text start with the envelope prefix? */
bool seal_text_is_sealed(const char *text);
/* Seal len bytes of plain: *out is a malloc'd NUL-terminated envelope. */
int seal_text_seal(const struct seal_key *key, const void *plain, size_t len, const void *aad,
                   size_t aad_len, char **out, struct fg_err *err);
/* Open an envelope: *plain is malloc'd, NUL-terminated, *plain_len bytes (not
 * counting the NUL). -FG_ESEAL when the text is not an envelope or does not
 * open with this key and associated data. */
int seal_text_open(const struct seal_key *key, const char *sealed, const void *aad, size_t aad_len,
                   char **plain, size_t *plain_len, struct fg_err *err);

#endif
