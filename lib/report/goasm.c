/* x86 instructions in Go's assembler syntax, as `go tool pprof -disasm`
 * prints them for Go programs: pprof decodes with Go's own decoder
 * (golang.org/x/arch/x86/x86asm) and prints its GoSyntax.  hearth decodes
 * with capstone and writes what Go's decoder would have read there:
 *
 *   - Plan 9 mnemonics, a B/W/L/Q suffix on the operations Go gives one
 *     (the memory operand's size, else the operand size), operands last to
 *     first (CMP first to last), registers by their 64-bit name;
 *   - memory as SEG:disp(BASE)(INDEX*scale), a 32-bit displacement read
 *     unsigned; RIP-relative and absolute data, call and jump targets at a
 *     symbol's start, and 32-bit MOV immediates named by symbol;
 *   - prefixes as Go prints them: "REP; " or "REPNE; " for an F3 or F2 that
 *     is not part of the opcode (on any instruction), and the last other
 *     prefix that no operand uses (LOCK, a segment, PN/PT on branches);
 *   - what Go's decoder does not know is "?", one byte: EVEX (AVX-512)
 *     instructions, and every other instruction it has no name for;
 *   - VEX: Go's decoder knows only VMOVDQU, VMOVDQA, VMOVNTDQ(A) and
 *     VZEROUPPER (with its own reading of the VEX register bits); after any
 *     other VEX prefix it reads the opcode byte as a one-byte opcode, as if
 *     the prefix were not there (c5 e5 74 c2 is "JE"), and so does hearth.
 *
 * These are facts about the output (checked against go tool pprof by
 * tests/cli/disasm.sh), not a port of Go's decoder. */
#include <capstone/capstone.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goasm.h"

/* The mnemonics Go prints with a B/W/L/Q size suffix (x86asm's
 * plan9Suffix). */
static const char *const suffixed[] = {
    "ADC",	 "ADD", "AND",	   "BSF",      "BSR",	   "BT",       "BTC",	   "BTR",
    "BTS",	 "CMP", "CMPXCHG", "CVTSI2SD", "CVTSI2SS", "CVTSD2SI", "CVTSS2SI", "CVTTSD2SI",
    "CVTTSS2SI", "DEC", "DIV",	   "FLDENV",   "FRSTOR",   "IDIV",     "IMUL",	   "IN",
    "INC",	 "LEA", "MOV",	   "MOVNTI",   "MUL",	   "NEG",      "NOP",	   "NOT",
    "OR",	 "OUT", "POP",	   "POPA",     "POPCNT",   "PUSH",     "PUSHA",	   "RCL",
    "RCR",	 "ROL", "ROR",	   "SAR",      "SBB",	   "SHL",      "SHLD",	   "SHR",
    "SHRD",	 "SUB", "TEST",	   "XADD",     "XCHG",	   "XOR",      NULL};

/* The mnemonics Go's decoder knows (x86asm's opNames); what capstone
 * decodes beyond them (most VEX and every EVEX instruction) Go's decoder
 * refuses, and pprof prints "?" for one byte. */
static const char known_ops[] =
    " AAA AAD AAM AAS ADC ADD ADDPD ADDPS ADDSD ADDSS ADDSUBPD ADDSUBPS AESDEC AESDECLAST "
    "AESENC AESENCLAST AESIMC AESKEYGENASSIST AND ANDNPD ANDNPS ANDPD ANDPS ARPL BLENDPD "
    "BLENDPS BLENDVPD BLENDVPS BOUND BSF BSR BSWAP BT BTC BTR BTS CALL CBW CDQ CDQE CLC CLD "
    "CLFLUSH CLI CLTS CMC CMOVA CMOVAE CMOVB CMOVBE CMOVE CMOVG CMOVGE CMOVL CMOVLE CMOVNE "
    "CMOVNO CMOVNP CMOVNS CMOVO CMOVP CMOVS CMP CMPPD CMPPS CMPSB CMPSD CMPSD_XMM CMPSQ "
    "CMPSS CMPSW CMPXCHG CMPXCHG16B CMPXCHG8B COMISD COMISS CPUID CQO CRC32 CVTDQ2PD "
    "CVTDQ2PS CVTPD2DQ CVTPD2PI CVTPD2PS CVTPI2PD CVTPI2PS CVTPS2DQ CVTPS2PD CVTPS2PI "
    "CVTSD2SI CVTSD2SS CVTSI2SD CVTSI2SS CVTSS2SD CVTSS2SI CVTTPD2DQ CVTTPD2PI CVTTPS2DQ "
    "CVTTPS2PI CVTTSD2SI CVTTSS2SI CWD CWDE DAA DAS DEC DIV DIVPD DIVPS DIVSD DIVSS DPPD "
    "DPPS EMMS ENTER EXTRACTPS F2XM1 FABS FADD FADDP FBLD FBSTP FCHS FCMOVB FCMOVBE FCMOVE "
    "FCMOVNB FCMOVNBE FCMOVNE FCMOVNU FCMOVU FCOM FCOMI FCOMIP FCOMP FCOMPP FCOS FDECSTP "
    "FDIV FDIVP FDIVR FDIVRP FFREE FFREEP FIADD FICOM FICOMP FIDIV FIDIVR FILD FIMUL "
    "FINCSTP FIST FISTP FISTTP FISUB FISUBR FLD FLD1 FLDCW FLDENV FLDL2E FLDL2T FLDLG2 "
    "FLDLN2 FLDPI FLDZ FMUL FMULP FNCLEX FNINIT FNOP FNSAVE FNSTCW FNSTENV FNSTSW FPATAN "
    "FPREM FPREM1 FPTAN FRNDINT FRSTOR FSCALE FSIN FSINCOS FSQRT FST FSTP FSUB FSUBP FSUBR "
    "FSUBRP FTST FUCOM FUCOMI FUCOMIP FUCOMP FUCOMPP FWAIT FXAM FXCH FXRSTOR FXRSTOR64 "
    "FXSAVE FXSAVE64 FXTRACT FYL2X FYL2XP1 HADDPD HADDPS HLT HSUBPD HSUBPS ICEBP IDIV IMUL "
    "IN INC INSB INSD INSERTPS INSW INT INTO INVD INVLPG INVPCID IRET IRETD IRETQ JA JAE JB "
    "JBE JCXZ JE JECXZ JG JGE JL JLE JMP JNE JNO JNP JNS JO JP JRCXZ JS LAHF LAR LCALL "
    "LDDQU LDMXCSR LDS LEA LEAVE LES LFENCE LFS LGDT LGS LIDT LJMP LLDT LMSW LODSB LODSD "
    "LODSQ LODSW LOOP LOOPE LOOPNE LRET LSL LSS LTR LZCNT MASKMOVDQU MASKMOVQ MAXPD MAXPS "
    "MAXSD MAXSS MFENCE MINPD MINPS MINSD MINSS MONITOR MOV MOVAPD MOVAPS MOVBE MOVD "
    "MOVDDUP MOVDQ2Q MOVDQA MOVDQU MOVHLPS MOVHPD MOVHPS MOVLHPS MOVLPD MOVLPS MOVMSKPD "
    "MOVMSKPS MOVNTDQ MOVNTDQA MOVNTI MOVNTPD MOVNTPS MOVNTQ MOVNTSD MOVNTSS MOVQ MOVQ2DQ "
    "MOVSB MOVSD MOVSD_XMM MOVSHDUP MOVSLDUP MOVSQ MOVSS MOVSW MOVSX MOVSXD MOVUPD MOVUPS "
    "MOVZX MPSADBW MUL MULPD MULPS MULSD MULSS MWAIT NEG NOP NOT OR ORPD ORPS OUT OUTSB "
    "OUTSD OUTSW PABSB PABSD PABSW PACKSSDW PACKSSWB PACKUSDW PACKUSWB PADDB PADDD PADDQ "
    "PADDSB PADDSW PADDUSB PADDUSW PADDW PALIGNR PAND PANDN PAUSE PAVGB PAVGW PBLENDVB "
    "PBLENDW PCLMULQDQ PCMPEQB PCMPEQD PCMPEQQ PCMPEQW PCMPESTRI PCMPESTRM PCMPGTB PCMPGTD "
    "PCMPGTQ PCMPGTW PCMPISTRI PCMPISTRM PEXTRB PEXTRD PEXTRQ PEXTRW PHADDD PHADDSW PHADDW "
    "PHMINPOSUW PHSUBD PHSUBSW PHSUBW PINSRB PINSRD PINSRQ PINSRW PMADDUBSW PMADDWD PMAXSB "
    "PMAXSD PMAXSW PMAXUB PMAXUD PMAXUW PMINSB PMINSD PMINSW PMINUB PMINUD PMINUW PMOVMSKB "
    "PMOVSXBD PMOVSXBQ PMOVSXBW PMOVSXDQ PMOVSXWD PMOVSXWQ PMOVZXBD PMOVZXBQ PMOVZXBW "
    "PMOVZXDQ PMOVZXWD PMOVZXWQ PMULDQ PMULHRSW PMULHUW PMULHW PMULLD PMULLW PMULUDQ POP "
    "POPA POPAD POPCNT POPF POPFD POPFQ POR PREFETCHNTA PREFETCHT0 PREFETCHT1 PREFETCHT2 "
    "PREFETCHW PSADBW PSHUFB PSHUFD PSHUFHW PSHUFLW PSHUFW PSIGNB PSIGND PSIGNW PSLLD "
    "PSLLDQ PSLLQ PSLLW PSRAD PSRAW PSRLD PSRLDQ PSRLQ PSRLW PSUBB PSUBD PSUBQ PSUBSB "
    "PSUBSW PSUBUSB PSUBUSW PSUBW PTEST PUNPCKHBW PUNPCKHDQ PUNPCKHQDQ PUNPCKHWD PUNPCKLBW "
    "PUNPCKLDQ PUNPCKLQDQ PUNPCKLWD PUSH PUSHA PUSHAD PUSHF PUSHFD PUSHFQ PXOR RCL RCPPS "
    "RCPSS RCR RDFSBASE RDGSBASE RDMSR RDPMC RDRAND RDTSC RDTSCP RET ROL ROR ROUNDPD "
    "ROUNDPS ROUNDSD ROUNDSS RSM RSQRTPS RSQRTSS SAHF SAR SBB SCASB SCASD SCASQ SCASW SETA "
    "SETAE SETB SETBE SETE SETG SETGE SETL SETLE SETNE SETNO SETNP SETNS SETO SETP SETS "
    "SFENCE SGDT SHL SHLD SHR SHRD SHUFPD SHUFPS SIDT SLDT SMSW SQRTPD SQRTPS SQRTSD SQRTSS "
    "STC STD STI STMXCSR STOSB STOSD STOSQ STOSW STR SUB SUBPD SUBPS SUBSD SUBSS SWAPGS "
    "SYSCALL SYSENTER SYSEXIT SYSRET TEST TZCNT UCOMISD UCOMISS UD0 UD1 UD2 UNPCKHPD "
    "UNPCKHPS UNPCKLPD UNPCKLPS VERR VERW VMOVDQA VMOVDQU VMOVNTDQ VMOVNTDQA VZEROUPPER "
    "WBINVD WRFSBASE WRGSBASE WRMSR XABORT XADD XBEGIN XCHG XEND XGETBV XLATB XOR XORPD "
    "XORPS XRSTOR XRSTOR64 XRSTORS XRSTORS64 XSAVE XSAVE64 XSAVEC XSAVEC64 XSAVEOPT "
    "XSAVEOPT64 XSAVES XSAVES64 XSETBV XTEST ";

bool hearth_goasm_in_set(const char *set, const char *op)
{
	/* Built by hand: snprintf here draws -Wformat-truncation at -O1
	 * (make SAN=1), which cannot see the length check. */
	char key[48];
	size_t n = strlen(op);
	if (n > sizeof(key) - 3)
		return false;
	key[0] = ' ';
	memcpy(key + 1, op, n);
	key[n + 1] = ' ';
	key[n + 2] = '\0';
	return strstr(set, key) != NULL;
}

static bool is_suffixed(const char *op)
{
	for (int i = 0; suffixed[i]; i++)
		if (!strcmp(suffixed[i], op))
			return true;
	return false;
}

static bool one_of(const char *op, const char *const *set)
{
	for (int i = 0; set[i]; i++)
		if (!strcmp(set[i], op))
			return true;
	return false;
}

/* The string operations, whose memory operands Go writes out with their
 * segment (ES:0(DI), DS:0(SI)). */
static const char *const string_ops[] = {
    "INSB",  "INSW",  "INSD",  "OUTSB", "OUTSW", "OUTSD", "MOVSB", "MOVSW", "MOVSD",
    "MOVSQ", "CMPSB", "CMPSW", "CMPSD", "CMPSQ", "LODSB", "LODSW", "LODSD", "LODSQ",
    "STOSB", "STOSW", "STOSD", "STOSQ", "SCASB", "SCASW", "SCASD", "SCASQ", NULL};
/* Those that read DS:(SI), whose segment a prefix overrides. */
static const char *const string_src_ops[] = {"OUTSB", "OUTSW", "OUTSD", "MOVSB", "MOVSW", "MOVSD",
					     "MOVSQ", "CMPSB", "CMPSW", "CMPSD", "CMPSQ", "LODSB",
					     "LODSW", "LODSD", "LODSQ", NULL};
/* The branches whose CS and DS prefixes Go reads as hints (PN, PT). */
static const char *const hinted_ops[] = {
    "JA",  "JAE", "JB", "JBE", "JE",   "JG",	"JGE",	  "JL",	  "JLE",   "JNE",   "JNO", "JNP",
    "JNS", "JO",  "JP", "JS",  "LOOP", "LOOPE", "LOOPNE", "JCXZ", "JECXZ", "JRCXZ", NULL};

static bool is_prefix(uint8_t b)
{
	switch (b) {
	case 0xF0:
	case 0xF2:
	case 0xF3:
	case 0x26:
	case 0x2E:
	case 0x36:
	case 0x3E:
	case 0x64:
	case 0x65:
	case 0x66:
	case 0x67:
		return true;
	}
	return false;
}

static const char *seg_name(uint8_t b)
{
	switch (b) {
	case 0x26:
		return "ES";
	case 0x2E:
		return "CS";
	case 0x36:
		return "SS";
	case 0x3E:
		return "DS";
	case 0x64:
		return "FS";
	case 0x65:
		return "GS";
	}
	return NULL;
}

/* The ModRM byte of in (capstone's own field is not filled for every
 * encoding), or -1. */
static int modrm_byte(const cs_insn *in, bool mode32)
{
	const uint8_t *b = in->bytes;
	size_t n = in->size, i = 0;
	if (n > 1 && (b[0] == 0xC4 || b[0] == 0xC5) && (!mode32 || (b[1] & 0xC0) == 0xC0)) {
		i = (b[0] == 0xC5 ? 2 : 3) + 1;
		return i < n ? b[i] : -1;
	}
	while (i < n && is_prefix(b[i]))
		i++;
	if (!mode32 && i < n && (b[i] & 0xF0) == 0x40)
		i++;
	if (i < n && b[i] == 0x0F) {
		i++;
		if (i < n && (b[i] == 0x38 || b[i] == 0x3A))
			i++;
	}
	i++;
	return i < n ? b[i] : -1;
}

/* A register as Go names it: the 64-bit name for every width, X for the
 * vector registers. */
static void reg_name(csh cs, unsigned reg, char *out, size_t n)
{
	const char *r = cs_reg_name(cs, reg);
	if (!r) {
		snprintf(out, n, "?");
		return;
	}
	static const struct {
		const char *names[5];
		const char *go;
	} gpr[] = {
	    {{"rax", "eax", "ax", NULL, NULL}, "AX"},  {{"rcx", "ecx", "cx", NULL, NULL}, "CX"},
	    {{"rdx", "edx", "dx", NULL, NULL}, "DX"},  {{"rbx", "ebx", "bx", NULL, NULL}, "BX"},
	    {{"al", NULL, NULL, NULL, NULL}, "AL"},    {{"cl", NULL, NULL, NULL, NULL}, "CL"},
	    {{"dl", NULL, NULL, NULL, NULL}, "DL"},    {{"bl", NULL, NULL, NULL, NULL}, "BL"},
	    {{"rsp", "esp", "sp", "spl", NULL}, "SP"}, {{"rbp", "ebp", "bp", "bpl", NULL}, "BP"},
	    {{"rsi", "esi", "si", "sil", NULL}, "SI"}, {{"rdi", "edi", "di", "dil", NULL}, "DI"},
	    {{"rip", "eip", "ip", NULL, NULL}, "IP"},
	};
	for (size_t i = 0; i < sizeof(gpr) / sizeof(gpr[0]); i++)
		for (int k = 0; k < 5 && gpr[i].names[k]; k++)
			if (!strcmp(r, gpr[i].names[k])) {
				snprintf(out, n, "%s", gpr[i].go);
				return;
			}
	if (!strcmp(r, "ah") || !strcmp(r, "bh") || !strcmp(r, "ch") || !strcmp(r, "dh")) {
		snprintf(out, n, "%c%c", toupper((unsigned char)r[0]), 'H');
		return;
	}
	if (r[0] == 'r' && isdigit((unsigned char)r[1])) { /* r8, r8d, r8w, r8b */
		snprintf(out, n, "R%d", atoi(r + 1));
		return;
	}
	if (!strncmp(r, "xmm", 3) || !strncmp(r, "ymm", 3) || !strncmp(r, "zmm", 3)) {
		snprintf(out, n, "X%s", r + 3);
		return;
	}
	if (!strncmp(r, "st(", 3)) {
		snprintf(out, n, "F%d", atoi(r + 3));
		return;
	}
	if (r[0] == 'm' && r[1] == 'm') {
		snprintf(out, n, "M%s", r + 2);
		return;
	}
	size_t i = 0;
	for (; r[i] && i + 1 < n; i++)
		out[i] = (char)toupper((unsigned char)r[i]);
	out[i] = 0;
}

/* The general register numbered k (0-15) by Go's name. */
static const char *const gpr_go[16] = {"AX", "CX", "DX",  "BX",	 "SP",	"BP",  "SI",  "DI",
				       "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15"};

/* Go's %#x of a signed value: -0x10, 0x10. */
static void hex(char *out, size_t n, int64_t v)
{
	if (v < 0)
		snprintf(out, n, "-0x%llx", (unsigned long long)(-(uint64_t)v));
	else
		snprintf(out, n, "0x%llx", (unsigned long long)v);
}

static bool is_branch(const cs_insn *in)
{
	const cs_detail *d = in->detail;
	if (!strncmp(in->mnemonic, "loop", 4) || !strcmp(in->mnemonic, "jrcxz") ||
	    !strcmp(in->mnemonic, "jecxz") || !strcmp(in->mnemonic, "jcxz"))
		return true;
	for (uint8_t i = 0; i < d->groups_count; i++)
		if (d->groups[i] == CS_GRP_JUMP || d->groups[i] == CS_GRP_CALL)
			return true;
	return false;
}

/* What one instruction's formatting needs to know besides capstone's
 * reading of it. */
typedef struct {
	const hearth_goasm *g;
	uint64_t pc;	/* the instruction's address */
	uint32_t len;	/* and its length as Go reads it */
	const char *op; /* Go's name */
	int seg;	/* the segment prefix a memory operand takes, or 0 */
	bool string_op;
	bool sib;     /* the ModRM byte has a SIB byte */
	int vex;      /* 0xC4 or 0xC5 for Go's VEX instructions */
	uint8_t vex1; /* the VEX prefix's second byte */
	uint8_t modrm;
} fmt_ctx;

static void sym_arg(const fmt_ctx *c, uint64_t at, hearth_buf *out, const char *dollar, bool *done)
{
	uint64_t base;
	const char *s = hearth_goasm_lookup(c->g->syms, at, &base);
	*done = false;
	if (!s)
		return;
	if (at != base)
		hearth_buf_printf(out, "%s%s%+lld(SB)", dollar, s, (long long)(at - base));
	else
		hearth_buf_printf(out, "%s%s(SB)", dollar, s);
	*done = true;
}

static void arg(const fmt_ctx *c, const cs_insn *in, int i, hearth_buf *out)
{
	csh cs = c->g->cs;
	const cs_x86_op *op = &in->detail->x86.operands[i];
	char r[32], h[40];
	bool done;
	switch (op->type) {
	case X86_OP_REG:
		reg_name(cs, op->reg, r, sizeof(r));
		hearth_buf_puts(out, r);
		return;
	case X86_OP_IMM: {
		if (is_branch(in)) {
			uint64_t to = (uint64_t)op->imm, base;
			if (c->g->mode32)
				to &= 0xffffffff;
			const char *s = hearth_goasm_lookup(c->g->syms, to, &base);
			if (s && base == to)
				hearth_buf_printf(out, "%s(SB)", s);
			else
				hearth_buf_printf(out, "0x%llx", (unsigned long long)to);
			return;
		}
		int64_t v = op->imm;
		/* RET's and ENTER's operands are unsigned; other 16- and 32-bit
		 * immediates are sign-extended. */
		if (!strcmp(c->op, "ENTER")) {
			v = i == 1 ? (uint8_t)v : (uint16_t)v;
		} else if (!strcmp(c->op, "RET") || !strcmp(c->op, "LRET")) {
			v = (uint16_t)v;
		} else if (op->size == 4)
			v = (int32_t)v;
		else if (op->size == 2)
			v = (int16_t)v;
		/* A 32-bit MOV's immediate may be an address (on 386 it is how
		 * an address is loaded). */
		if (!strcmp(c->op, "MOVL") || (c->g->mode32 && !strcmp(c->op, "PUSHL"))) {
			sym_arg(c, (uint64_t)v & 0xffffffff, out, "$", &done);
			if (done)
				return;
		}
		if (c->g->mode32)
			hearth_buf_printf(out, "$0x%x", (uint32_t)v);
		else if ((int64_t)(int32_t)v == v)
			hex(h, sizeof(h), v), hearth_buf_printf(out, "$%s", h);
		else
			hearth_buf_printf(out, "$0x%llx", (unsigned long long)v);
		return;
	}
	case X86_OP_MEM: {
		const x86_op_mem *m = &op->mem;
		bool disp32 = in->detail->x86.encoding.disp_size == 4;
		int seg = c->seg;
		if (c->string_op) {
			const char *b = cs_reg_name(cs, m->base);
			seg = b && strstr(b, "di") ? 0x26 : (seg ? seg : 0x3E);
		}
		/* Go reads a 32-bit displacement unsigned. */
		int64_t disp = m->disp;
		if (disp32)
			disp = (int64_t)(uint32_t)m->disp;
		bool rip = m->base == X86_REG_RIP || m->base == X86_REG_EIP;
		if (!seg && disp != 0 && m->index == X86_REG_INVALID && !c->sib &&
		    (rip || m->base == X86_REG_INVALID)) {
			uint64_t at = rip ? c->pc + c->len + (uint64_t)disp : (uint64_t)disp;
			sym_arg(c, at, out, "", &done);
			if (done)
				return;
		}
		if (seg)
			hearth_buf_printf(out, "%s:", seg_name((uint8_t)seg));
		if (disp != 0) {
			hex(h, sizeof(h), disp);
			hearth_buf_puts(out, h);
		} else {
			hearth_buf_puts(out, "0");
		}
		if (m->base != X86_REG_INVALID) {
			/* Go's VEX instructions take no base extension without a
			 * SIB byte. */
			if (c->vex && !c->sib && !rip) {
				reg_name(cs, m->base, r, sizeof(r));
				int k = r[0] == 'R' && isdigit((unsigned char)r[1])
					    ? atoi(r + 1) - 8
					    : -1;
				hearth_buf_printf(out, "(%s)", k >= 0 && k < 8 ? gpr_go[k] : r);
			} else {
				reg_name(cs, m->base, r, sizeof(r));
				hearth_buf_printf(out, "(%s)", r);
			}
		}
		if (m->index != X86_REG_INVALID && m->scale != 0) {
			reg_name(cs, m->index, r, sizeof(r));
			hearth_buf_printf(out, "(%s*%d)", r, m->scale);
		}
		return;
	}
	default:
		hearth_buf_puts(out, "?");
	}
}

/* Go's name of capstone's mnemonic (capstone's prefixes dropped), in op. */
static void go_op(const cs_insn *in, bool xmm, char *op, size_t n)
{
	const char *mn = in->mnemonic;
	for (;;) {
		const char *sp = strchr(mn, ' ');
		if (sp && (!strncmp(mn, "rep", 3) || !strncmp(mn, "lock", 4) ||
			   !strncmp(mn, "notrack", 7) || !strncmp(mn, "bnd", 3) ||
			   !strncmp(mn, "xacquire", 8) || !strncmp(mn, "xrelease", 8) ||
			   !strncmp(mn, "data16", 6)))
			mn = sp + 1;
		else
			break;
	}
	size_t k = 0;
	for (; mn[k] && k + 1 < n; k++)
		op[k] = (char)toupper((unsigned char)mn[k]);
	op[k] = 0;
	static const char *const map[][2] = {
	    {"MOVABS", "MOV"}, {"WAIT", "FWAIT"}, {"INT1", "ICEBP"},	{"RETF", "LRET"},
	    {"RETFQ", "LRET"}, {"LJMP", "LJMP"},  {"LCALL", "LCALL"},	{"JMPQ", "JMP"},
	    {"CALLQ", "CALL"}, {"XLAT", "XLATB"}, {"PUSHAL", "PUSHAD"}, {"POPAL", "POPAD"},
	    {NULL, NULL}};
	for (int i = 0; map[i][0]; i++)
		if (!strcmp(op, map[i][0])) {
			snprintf(op, n, "%s", map[i][1]);
			break;
		}
	if ((!strcmp(op, "MOVSD") || !strcmp(op, "CMPSD")) && xmm)
		snprintf(op + strlen(op), n - strlen(op), "_XMM");
}

/* Capstone names an SSE comparison by its predicate (cmpnltsd) and drops
 * the immediate; Go names the operation (CMPSD_XMM $0x5, ...).  True, with
 * Go's name in op, for such a mnemonic. */
static bool sse_cmp(const cs_insn *in, char *op, size_t n)
{
	static const char *const preds[] = {"eq",  "lt",  "le",	 "unord", "neq",
					    "nlt", "nle", "ord", NULL};
	const char *m = in->mnemonic;
	if (strncmp(m, "cmp", 3))
		return false;
	for (int i = 0; preds[i]; i++) {
		size_t pl = strlen(preds[i]);
		if (strncmp(m + 3, preds[i], pl) || strlen(m + 3 + pl) != 2)
			continue;
		const char *ty = m + 3 + pl;
		if (!strcmp(ty, "ss"))
			snprintf(op, n, "CMPSS");
		else if (!strcmp(ty, "sd"))
			snprintf(op, n, "CMPSD_XMM");
		else if (!strcmp(ty, "ps"))
			snprintf(op, n, "CMPPS");
		else if (!strcmp(ty, "pd"))
			snprintf(op, n, "CMPPD");
		else
			return false;
		return true;
	}
	return false;
}

/* Formats in (capstone's reading, at pc, of len bytes as Go reads them)
 * with the prefix text pre.  False when Go's decoder has no name for it. */
static bool format(const hearth_goasm *g, const cs_insn *in, uint64_t pc, uint32_t len,
		   const char *rep, const char *pre, int seg_pfx, bool seg_used_by_string, int vex,
		   uint8_t vex1, hearth_buf *out)
{
	const cs_x86 *x = &in->detail->x86;
	bool xmm = false, mem = false;
	int memsize = 0;
	for (uint8_t i = 0; i < x->op_count; i++) {
		if (x->operands[i].type == X86_OP_REG) {
			const char *r = cs_reg_name(g->cs, x->operands[i].reg);
			xmm |= r && !strncmp(r, "xmm", 3);
		} else if (x->operands[i].type == X86_OP_MEM) {
			mem = true;
			memsize = x->operands[i].size;
		}
	}
	char op[40];
	go_op(in, xmm, op, sizeof(op));
	bool cmp_pred = sse_cmp(in, op, sizeof(op));
	if (!strcmp(op, "INT3")) {
		hearth_buf_printf(out, "%s%sINT $0x3", rep, pre);
		return true;
	}
	if (!hearth_goasm_in_set(known_ops, op))
		return false;
	int modrm = modrm_byte(in, g->mode32);
	fmt_ctx c = {.g = g,
		     .pc = pc,
		     .len = len,
		     .vex = vex,
		     .vex1 = vex1,
		     .modrm = (uint8_t)(modrm < 0 ? 0 : modrm)};
	c.string_op = one_of(op, string_ops) && !xmm;
	c.sib = mem && !c.string_op && modrm >= 0 && (modrm >> 6) != 3 && (modrm & 7) == 4 &&
		!(x->addr_size == 2);
	/* The segment a memory operand shows; without one a prefix is
	 * shown before the operation instead (pre). */
	c.seg = (mem || seg_used_by_string) ? seg_pfx : 0;
	if (!strcmp(op, "XLATB")) {
		hearth_buf_printf(out, "%s%sXLATB %s:0(BX)", rep, pre,
				  seg_pfx ? seg_name((uint8_t)seg_pfx) : "DS");
		return true;
	}
	if (is_suffixed(op)) {
		int s;
		int data = g->mode32 ? 32 : 32;
		if (!g->mode32 && (x->rex & 8))
			data = 64;
		else if (x->prefix[2] == 0x66)
			data = 16;
		if (mem && memsize &&
		    (memsize == 1 || memsize == 2 || memsize == 4 || memsize == 8) &&
		    strcmp(op, "LEA"))
			s = memsize * 8;
		else if (!mem && x->op_count == 1 && x->operands[0].type == X86_OP_REG &&
			 x->operands[0].size == 8)
			s = 64;
		else
			s = data;
		if (!strcmp(op, "LEA") && memsize == 8 && !g->mode32 && !(x->rex & 8))
			s = data;
		snprintf(op + strlen(op), sizeof(op) - strlen(op), "%s",
			 s == 8	   ? "B"
			 : s == 16 ? "W"
			 : s == 32 ? "L"
				   : "Q");
	}
	c.op = op;
	hearth_buf_printf(out, "%s%s%s", rep, pre, op);
	/* Go's order: the last operand first; CMP reads left to right;
	 * XCHG's short form (90+r) names AX first; an x87 operation on
	 * st(0) and st(i) (D8 /r) shows both. */
	int n = x->op_count > 8 ? 8 : x->op_count;
	int order[8];
	for (int i = 0; i < n; i++)
		order[i] = n - 1 - i;
	if (((!strncmp(op, "CMP", 3) && strlen(op) == 4) ||
	     (!strncmp(op, "XCHG", 4) && x->opcode[0] >= 0x91 && x->opcode[0] <= 0x97)) &&
	    n == 2) {
		order[0] = 0;
		order[1] = 1;
	}
	/* An x87 operation on st(0) and st(i) that capstone writes with st(i)
	 * alone: Go shows both, st(0) second (D8, DA, DB, DF) or first (DC,
	 * DE). */
	if (op[0] == 'F' && n == 1 && x->operands[0].type == X86_OP_REG && modrm >= 0xC0) {
		uint8_t o = x->opcode[0];
		bool second = o == 0xD8 || o == 0xDA || o == 0xDB || (o == 0xDF && modrm >= 0xE8);
		if (second || o == 0xDC || o == 0xDE) {
			hearth_buf_puts(out, second ? " " : " F0, ");
			arg(&c, in, 0, out);
			if (second)
				hearth_buf_puts(out, ", F0");
			return true;
		}
	}
	if (cmp_pred)
		hearth_buf_printf(out, " $0x%x%s", in->bytes[in->size - 1], n ? "," : "");
	for (int i = 0; i < n; i++) {
		hearth_buf_puts(out, i ? ", " : " ");
		arg(&c, in, order[i], out);
	}
	return true;
}

static bool decode(const hearth_goasm *g, cs_insn *insn, const uint8_t *code, size_t len,
		   uint64_t pc)
{
	const uint8_t *p = code;
	size_t left = len;
	uint64_t at = pc;
	return cs_disasm_iter(g->cs, &p, &left, &at, insn) && insn->size > 0;
}

/* A VEX-prefixed instruction as Go's decoder reads it. */
static uint32_t vex_insn(hearth_goasm *g, const uint8_t *code, size_t len, uint64_t pc,
			 hearth_buf *out)
{
	uint32_t vl = code[0] == 0xC5 ? 2 : 3;
	if (len <= vl)
		return 0;
	uint8_t b1 = code[1];
	uint8_t map = vl == 2 ? 1 : (b1 & 3), pp = (vl == 2 ? b1 : code[2]) & 3;
	size_t t = out->len;
	/* Go reads prefixes after a VEX prefix too; the opcode is the first
	 * byte that is none. */
	size_t npv = vl;
	while (npv < len && npv - vl < 14 && is_prefix(code[npv]))
		npv++;
	if (npv >= len)
		return 0;
	uint8_t opc = code[npv];
	if (npv > vl && (opc == 0x6F || opc == 0x7F || opc == 0x77 || opc == 0xE7 || opc == 0x2A))
		return 0;
	switch (opc) {
	case 0x6F:
	case 0x7F:
	case 0x77:
	case 0xE7:
	case 0x2A: {
		/* The operations Go's decoder knows under VEX; another map or
		 * mandatory prefix with these opcodes is nothing to it. */
		if (opc == 0x77) {
			if (map != 1)
				return 0;
			hearth_buf_puts(out, "VZEROUPPER");
			return vl + 1;
		}
		bool okp = (opc == 0x6F || opc == 0x7F) ? (map == 1 && (pp == 1 || pp == 2))
			   : opc == 0xE7		? (map == 1 && pp == 1)
							: (vl == 3 && map == 2 && pp == 1);
		if (!okp || !decode(g, g->insn, code, len, pc))
			return 0;
		const char *name = opc == 0xE7	 ? "VMOVNTDQ"
				   : opc == 0x2A ? "VMOVNTDQA"
				   : pp == 1	 ? "VMOVDQA"
						 : "VMOVDQU";
		const cs_x86 *x = &g->insn->detail->x86;
		if (x->op_count != 2)
			return 0;
		bool has_mem =
		    x->operands[0].type == X86_OP_MEM || x->operands[1].type == X86_OP_MEM;
		if ((opc == 0xE7 || opc == 0x2A) && !has_mem)
			return 0;
		int modrm = modrm_byte(g->insn, g->mode32);
		if (modrm < 0)
			return 0;
		fmt_ctx c = {.g = g,
			     .pc = pc,
			     .len = g->insn->size,
			     .op = name,
			     .vex = code[0],
			     .vex1 = b1,
			     .modrm = (uint8_t)modrm};
		c.sib = has_mem && (modrm & 7) == 4;
		/* The register r/m operand: operand 1 for 6F (load form). */
		hearth_buf_puts(out, name);
		for (int i = 1; i >= 0; i--) {
			hearth_buf_puts(out, i == 1 ? " " : ", ");
			const cs_x86_op *o = &x->operands[i];
			bool rm = (opc == 0x6F || opc == 0x2A) ? i == 1 : i == 0;
			if (o->type == X86_OP_REG && rm) {
				int k = (modrm & 7) + (code[0] == 0xC4 && (b1 & 0x40) ? 8 : 0);
				hearth_buf_printf(out, "X%d", k);
			} else if (o->type == X86_OP_REG) {
				char r[32];
				reg_name(g->cs, o->reg, r, sizeof(r));
				hearth_buf_puts(out, r);
			} else {
				c.vex = code[0];
				arg(&c, g->insn, i, out);
			}
		}
		return g->insn->size;
	}
	}
	/* Any other: the opcode byte on, as if there were no VEX prefix;
	 * Go's decoder still takes a 3-byte prefix's X and B bits for a SIB
	 * byte's index and base, which a REX prefix gives capstone. */
	const uint8_t *tail = code + vl;
	size_t tl = len - vl;
	size_t np = 0;
	while (np < tl && np < 14 && is_prefix(tail[np]))
		np++;
	if (np >= tl || (!g->mode32 && (tail[np] & 0xF0) == 0x40) || tail[np] == 0xC4 ||
	    tail[np] == 0xC5)
		return 0;
	/* The bytes for capstone: the prefixes but LOCK (which Go does not
	 * show after VEX, and capstone refuses where it is invalid), then
	 * the rest. */
	uint8_t buf[48];
	size_t bn = 0, op_at;
	for (size_t k = 0; k < np; k++)
		if (tail[k] != 0xF0)
			buf[bn++] = tail[k];
	size_t removed = np - bn;
	op_at = bn;
	size_t rest = tl - np > 16 ? 16 : tl - np;
	memcpy(buf + bn, tail + np, rest);
	bn += rest;
	size_t added = 0;
	bool ok = decode(g, g->insn, buf, bn, 0);
	/* Go's decoder takes VEX's pp as the mandatory prefix of a 0F
	 * operation (PSADBW X0 where there is no 66 byte). */
	uint8_t ppb = pp == 1 ? 0x66 : pp == 2 ? 0xF3 : pp == 3 ? 0xF2 : 0;
	if (ppb && buf[op_at] == 0x0F) {
		uint8_t b2[48];
		memcpy(b2, buf, op_at);
		b2[op_at] = ppb;
		memcpy(b2 + op_at + 1, buf + op_at, bn - op_at);
		unsigned id0 = ok ? g->insn->id : 0;
		bool mm0 = ok && strstr(g->insn->op_str, "mm") && !strstr(g->insn->op_str, "xmm");
		if (decode(g, g->insn2, b2, bn + 1, 0) &&
		    (!ok || g->insn2->id != id0 ||
		     (mm0 && ppb == 0x66 && strstr(g->insn2->op_str, "xmm")))) {
			memcpy(buf, b2, bn + 1);
			bn++;
			op_at++;
			added = 1;
			ok = decode(g, g->insn, buf, bn, 0);
		} else if (ok) {
			ok = decode(g, g->insn, buf, bn, 0);
		}
	}
	if (!ok)
		return 0;
	/* A 3-byte VEX's X and B bits still extend a SIB byte's index and
	 * base: a REX prefix gives them to capstone. */
	const cs_x86 *x = &g->insn->detail->x86;
	bool mem = false;
	for (uint8_t i = 0; i < x->op_count; i++)
		mem |= x->operands[i].type == X86_OP_MEM;
	uint8_t ext = vl == 3 ? (uint8_t)((~b1 >> 5) & 3) : 0; /* X, B */
	int modrm = modrm_byte(g->insn, g->mode32);
	if (!g->mode32 && mem && ext && modrm >= 0 && (modrm >> 6) != 3 && (modrm & 7) == 4) {
		memmove(buf + op_at + 1, buf + op_at, bn - op_at);
		buf[op_at] = (uint8_t)(0x40 | ext);
		bn++;
		added++;
		if (!decode(g, g->insn, buf, bn, 0))
			return 0;
	}
	if (g->insn->size <= added)
		return 0;
	uint32_t size = (uint32_t)(vl + g->insn->size - added + removed);
	if (size > len || !decode(g, g->insn, buf, bn, pc + size - g->insn->size))
		return 0;
	if (!format(g, g->insn, pc, size, "", "", 0, false, 0, 0, out)) {
		out->len = t;
		return 0;
	}
	return size;
}

uint32_t hearth_goasm_x86(hearth_goasm *g, const uint8_t *code, size_t len, uint64_t pc,
			  hearth_buf *out)
{
	if (!len)
		return 0;
	if ((code[0] == 0xC4 || code[0] == 0xC5) && len > 1 &&
	    (!g->mode32 || (code[1] & 0xC0) == 0xC0))
		return vex_insn(g, code, len, pc, out);
	size_t np = 0;
	while (np < len && is_prefix(code[np])) {
		if (++np >= 14)
			return 0;
	}
	size_t op_at = np;
	if (!g->mode32 && op_at < len && (code[op_at] & 0xF0) == 0x40)
		op_at++;
	/* After a REX prefix Go's decoder takes the next byte as the opcode:
	 * a prefix there, or VEX after any prefix, is nothing it knows. */
	if (op_at >= len)
		return 0;
	if ((op_at > np && (is_prefix(code[op_at]) || (code[op_at] & 0xF0) == 0x40)) ||
	    (!g->mode32 && (code[op_at] == 0xC4 || code[op_at] == 0xC5)))
		return 0;
	/* 82 (a copy of 80 outside 64-bit mode) is not in Go's tables. */
	if (code[op_at] == 0x82)
		return 0;
	/* UD0 takes a ModRM byte in Go's decoder (UD0 r32, r/m32), none in
	 * capstone's; its register form is written here. */
	if (op_at + 2 < len && code[op_at] == 0x0F && code[op_at + 1] == 0xFF &&
	    (code[op_at + 2] >> 6) == 3) {
		uint8_t m = code[op_at + 2], rex = op_at > np ? code[np] : 0;
		hearth_buf_printf(out, "UD0 %s, %s", gpr_go[(m & 7) | (rex & 1 ? 8 : 0)],
				  gpr_go[((m >> 3) & 7) | (rex & 4 ? 8 : 0)]);
		return (uint32_t)op_at + 3;
	}
	/* Capstone refuses a LOCK where it is invalid; Go's decoder reads
	 * the instruction and shows the LOCK. */
	size_t nlock = 0;
	for (size_t k = 0; k < np; k++)
		nlock += code[k] == 0xF0;
	uint32_t size = 0;
	if (decode(g, g->insn, code, len, pc)) {
		size = (uint32_t)g->insn->size;
	} else if (nlock) {
		uint8_t buf[32];
		size_t bn = 0;
		for (size_t k = 0; k < len && k < np + 16; k++)
			if (!(k < np && code[k] == 0xF0))
				buf[bn++] = code[k];
		if (!decode(g, g->insn, buf, bn, 0))
			return 0;
		size = (uint32_t)(g->insn->size + nlock);
		if (!decode(g, g->insn, buf, bn, pc + nlock))
			return 0;
	} else {
		return 0;
	}
	const cs_insn *in = g->insn;
	/* Is the last F2/F3 part of the opcode (MOVSS, POPCNT, PAUSE)?  Then
	 * capstone reads another instruction without it. */
	int rep_at = -1;
	for (size_t k = 0; k < np; k++)
		if (code[k] == 0xF2 || code[k] == 0xF3)
			rep_at = (int)k;
	bool mandatory = false;
	if (rep_at >= 0) {
		uint8_t buf[32];
		size_t bl = 0;
		for (size_t k = 0; k < len && k < size && bl < sizeof(buf); k++)
			if ((int)k != rep_at)
				buf[bl++] = code[k];
		mandatory = !decode(g, g->insn2, buf, bl, pc) || g->insn2->id != in->id;
	}
	char op[40];
	go_op(in, false, op, sizeof(op));
	bool hinted = one_of(op, hinted_ops);
	bool string_src = one_of(op, string_src_ops) || !strcmp(op, "XLAT") || !strcmp(op, "XLATB");
	bool has_mem = false;
	for (uint8_t i = 0; i < in->detail->x86.op_count; i++)
		has_mem |= in->detail->x86.operands[i].type == X86_OP_MEM;
	bool modrm_mem = has_mem && !one_of(op, string_ops) && !string_src;
	/* The segment prefix an operand can use: in 64-bit mode only FS and
	 * GS count, the others are ignored (and shown). */
	int seg_at = -1, hint_at = -1;
	for (size_t k = 0; k < np; k++) {
		uint8_t b = code[k];
		if (b == 0x64 || b == 0x65 || (g->mode32 && seg_name(b)))
			seg_at = (int)k;
		if (b == 0x2E || b == 0x3E)
			hint_at = (int)k;
	}
	if (!hinted)
		hint_at = -1;
	if (hint_at >= 0 && hint_at == seg_at)
		seg_at = -1;
	bool seg_used = seg_at >= 0 && (modrm_mem || string_src);
	const char *rep = "", *last = NULL;
	for (size_t k = 0; k < np; k++) {
		uint8_t b = code[k];
		if (b == 0xF2 || b == 0xF3) {
			if ((int)k == rep_at && mandatory)
				continue;
			rep = b == 0xF3 ? "REP; " : "REPNE; ";
		} else if (b == 0x66 || b == 0x67) {
			last = NULL;
		} else if (b == 0xF0) {
			last = "LOCK";
		} else if ((int)k == hint_at) {
			last = b == 0x2E ? "PN" : "PT";
		} else if ((int)k == seg_at && seg_used) {
			continue;
		} else {
			last = seg_name(b);
		}
	}
	char pre[16] = "";
	if (last)
		snprintf(pre, sizeof(pre), "%s ", last);
	size_t t = out->len;
	if (!format(g, in, pc, size, rep, pre, seg_used ? code[seg_at] : 0, seg_used && string_src,
		    0, 0, out)) {
		out->len = t;
		return 0;
	}
	return size;
}

static int cmp_sym(const void *a, const void *b)
{
	const hearth_goasm_sym *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

void hearth_goasm_syms_sort(hearth_goasm_syms *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_sym);
}

const char *hearth_goasm_lookup(const hearth_goasm_syms *s, uint64_t addr, uint64_t *base)
{
	/* The last symbol at or below addr, if addr is inside it (Go's
	 * cmd/internal/disasm lookup). */
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (addr < s->v[mid].addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo == 0)
		return NULL;
	const hearth_goasm_sym *y = &s->v[lo - 1];
	if (y->addr != 0 && y->addr <= addr && addr - y->addr < y->size) {
		*base = y->addr;
		return y->name;
	}
	return NULL;
}
