/*
 * Byte classes shared by the request and response parsers (RFC 9110 5.6.2
 * tokens, field values, RFC 3986 target characters): one lookup per byte.
 */
#ifndef PT_HTTP_LEX_H
#define PT_HTTP_LEX_H

#include <stdint.h>

/* Character classes for the head, one table lookup per byte. */
#define B_TCHAR		0x01	/* token (RFC 9110 5.6.2) */
#define B_CTL		0x02	/* CTL but HTAB: never in a field value */
#define B_TARGET	0x04	/* RFC 3986 target character, but '%' */
#define B_REG		0x08	/* reg-name: unreserved / sub-delims, but '%' */
#define B_HEX		0x10
#define B_DIGIT		0x20
#define B_WS		0x40	/* SP / HTAB */

extern const uint8_t http_ctab[256];

#define CT(c)		(http_ctab[(unsigned char)(c)])
#define IS_WS(c)	((CT(c) & B_WS) != 0)
#define LC(c)		((c) >= 'A' && (c) <= 'Z' ? (c) + ('a' - 'A') : (c))


#endif /* PT_HTTP_LEX_H */
