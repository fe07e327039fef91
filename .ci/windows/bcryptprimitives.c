/*
 * A stand-in bcryptprimitives.dll for Wine 8.0, used only by the CI's Windows stage.
 *
 * pydantic-core is built with Rust >= 1.78, whose standard library gets random bytes
 * from ProcessPrng in bcryptprimitives.dll. Wine 8.0 has no such export, so loading
 * _pydantic_core.pyd fails ("DLL load failed"). This DLL exports that one function and
 * fills the buffer through advapi32's RtlGenRandom (exported as SystemFunction036),
 * which Wine has. It is never shipped with the app: real Windows 10+ has the function.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE out, SIZE_T count)
{
    /* RtlGenRandom takes a ULONG length: feed it at most 1 GiB at a time. */
    const SIZE_T step_max = (SIZE_T)1 << 30;
    while (count != 0) {
        ULONG step = (ULONG)(count < step_max ? count : step_max);
        if (!SystemFunction036(out, step))
            return FALSE;
        out += step;
        count -= step;
    }
    return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance;
    (void)reason;
    (void)reserved;
    return TRUE;
}
