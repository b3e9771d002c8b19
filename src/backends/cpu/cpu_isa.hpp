// The namespace of one instruction-set build of the CPU backend's kernels. CMake compiles
// each kernel file once per level (-march=x86-64-v3 with CK_CPU_ISA=avx2, -march=x86-64-v4
// with CK_CPU_ISA=avx512) and the code lives in `ck::cpu::inline CK_CPU_ISA`: every level's
// functions, classes and inline helpers get names of their own, so that no level's code can
// stand in for another's at link time. Files compiled once (tests, tools) see the inline
// helpers under `portable`.
#pragma once

#ifndef CK_CPU_ISA
#define CK_CPU_ISA portable
#endif

#define CK_CPU_ISA_CONCAT_(a, b) a##b
#define CK_CPU_ISA_CONCAT(a, b) CK_CPU_ISA_CONCAT_(a, b)
// The entry point of this level's build: make_cpu_backend_avx2, make_cpu_backend_avx512, ...
#define CK_CPU_ISA_FACTORY CK_CPU_ISA_CONCAT(make_cpu_backend_, CK_CPU_ISA)
