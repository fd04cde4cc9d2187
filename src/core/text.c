#include "text.h"

trcap_status
trcap_utf8_size(const trcap_text *t, size_t *size)
{
    size_t total = 0;
    for (size_t i = 0; i < t->length; i++) {
        uint32_t c = trcap_text_at(t, i);
        size_t n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        if (c >= 0xD800 && c <= 0xDFFF) {
            return TRCAP_ERR_SURROGATE;
        }
        /* total <= 4 * i, and i < length <= PY_SSIZE_T_MAX: cannot wrap,
         * but the check keeps the invariant local. */
        if (total > SIZE_MAX - n) {
            return TRCAP_ERR_OVERFLOW;
        }
        total += n;
    }
    *size = total;
    return TRCAP_OK;
}

unsigned char *
trcap_utf8_write(unsigned char *out, const trcap_text *t)
{
    for (size_t i = 0; i < t->length; i++) {
        uint32_t c = trcap_text_at(t, i);
        if (c < 0x80) {
            *out++ = (unsigned char)c;
        }
        else if (c < 0x800) {
            *out++ = (unsigned char)(0xC0 | (c >> 6));
            *out++ = (unsigned char)(0x80 | (c & 0x3F));
        }
        else if (c < 0x10000) {
            *out++ = (unsigned char)(0xE0 | (c >> 12));
            *out++ = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            *out++ = (unsigned char)(0x80 | (c & 0x3F));
        }
        else {
            *out++ = (unsigned char)(0xF0 | (c >> 18));
            *out++ = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
            *out++ = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            *out++ = (unsigned char)(0x80 | (c & 0x3F));
        }
    }
    return out;
}
