/* Wine 8 (Debian 12) has no bcryptprimitives.dll, and Rust's std (since 1.78) takes its
 * random numbers from that DLL's ProcessPrng: without it every Rust program exits with
 * status 53 before main. This one-function stand-in answers from RtlGenRandom
 * (advapi32's SystemFunction036), which Wine has. Wine 9 and newer ship the real DLL;
 * the shim is only copied into the test prefix, never shipped. */
#include <windows.h>
#include <ntsecapi.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!RtlGenRandom(data, chunk)) return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
