//! WS-Management server: WinRS cmd shell, Basic and NTLM auth, faults.
