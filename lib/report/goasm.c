/* x86 instructions in Go's assembler syntax, as `go tool pprof -disasm`
 * prints them for Go programs (Go's x86asm GoSyntax): Plan 9 mnemonics with
 * an operand-size suffix, operands source first, registers without their
 * size (AX for rax, eax, ax), memory as disp(BASE)(INDEX*scale), immediates
 * as $0x.., and call/jump targets and RIP-relative data named by symbol
 * (name+off(SB)).  Made from capstone's decoding (Intel syntax, details). */
#include <capstone/capstone.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "goasm.h"

/* The mnemonics Go prints with a B/W/L/Q size suffix (x86asm's
 * plan9Suffix). */
static const char *const suffixed[] = {
	"ADC",	     "ADD",	  "AND",       "BSF",	    "BSR",	 "BT",	     "BTC",
	"BTR",	     "BTS",	  "CMP",       "CMPXCHG",   "CVTSI2SD",	 "CVTSI2SS", "CVTSD2SI",
	"CVTSS2SI",  "CVTTSD2SI", "CVTTSS2SI", "DEC",	    "DIV",	 "FLDENV",   "FRSTOR",
	"IDIV",	     "IMUL",	  "IN",	       "INC",	    "LEA",	 "MOV",	     "MOVNTI",
	"MUL",	     "NEG",	  "NOP",       "NOT",	    "OR",	 "OUT",	     "POP",
	"POPA",	     "POPCNT",	  "PUSH",      "PUSHA",	    "RCL",	 "RCR",	     "ROL",
	"ROR",	     "SAR",	  "SBB",       "SHL",	    "SHLD",	 "SHR",	     "SHRD",
	"SUB",	     "TEST",	  "XADD",      "XCHG",	    "XOR",	 NULL};

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

static bool is_known(const char *op)
{
	char key[40];
	if (strlen(op) > sizeof(key) - 3)
		return false;
	snprintf(key, sizeof(key), " %s ", op);
	return strstr(known_ops, key) != NULL;
}

static bool is_suffixed(const char *op)
{
	for (int i = 0; suffixed[i]; i++)
		if (!strcmp(suffixed[i], op))
			return true;
	return false;
}

/* A register as Go names it: the 64-bit name for every width. */
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
	    {{"rax", "eax", "ax", NULL, NULL}, "AX"},	{{"rcx", "ecx", "cx", NULL, NULL}, "CX"},
	    {{"rdx", "edx", "dx", NULL, NULL}, "DX"},	{{"rbx", "ebx", "bx", NULL, NULL}, "BX"},
	    {{"al", NULL, NULL, NULL, NULL}, "AL"},	{{"cl", NULL, NULL, NULL, NULL}, "CL"},
	    {{"dl", NULL, NULL, NULL, NULL}, "DL"},	{{"bl", NULL, NULL, NULL, NULL}, "BL"},
	    {{"rsp", "esp", "sp", "spl", NULL}, "SP"},	{{"rbp", "ebp", "bp", "bpl", NULL}, "BP"},
	    {{"rsi", "esi", "si", "sil", NULL}, "SI"},	{{"rdi", "edi", "di", "dil", NULL}, "DI"},
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
		int k = atoi(r + 1);
		snprintf(out, n, "R%d", k);
		return;
	}
	/* Go's decoder names the VEX registers it knows X too. */
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

/* The string instructions, whose memory operands Go writes with their
 * segment (DS:0(SI), ES:0(DI)). */
static bool string_op(const char *op)
{
	static const char *const p[] = {"STOS", "MOVS", "CMPS", "SCAS", "LODS", "INS", "OUTS", NULL};
	if (!strcmp(op, "MOVSD_XMM") || !strncmp(op, "MOVSX", 5) || !strcmp(op, "MOVSS") ||
	    !strcmp(op, "INSERTPS"))
		return false;
	for (int i = 0; p[i]; i++)
		if (!strncmp(op, p[i], strlen(p[i])) && strlen(op) == strlen(p[i]) + 1)
			return true;
	return false;
}

static void arg(csh cs, const cs_insn *in, const cs_x86_op *op, bool mode32, const char *opname,
		const hearth_goasm_syms *syms, hearth_buf *out)
{
	char r[32], h[40];
	bool disp32 = in->detail->x86.encoding.disp_size == 4;
	switch (op->type) {
	case X86_OP_REG:
		reg_name(cs, op->reg, r, sizeof(r));
		hearth_buf_puts(out, r);
		return;
	case X86_OP_IMM:
		if (is_branch(in)) {
			uint64_t to = (uint64_t)op->imm, base;
			const char *s = hearth_goasm_lookup(syms, to, &base);
			if (s && base == to)
				hearth_buf_printf(out, "%s(SB)", s);
			else
				hearth_buf_printf(out, "0x%llx", (unsigned long long)to);
			return;
		}
		/* Go's decoder sign-extends a 16- and 32-bit operation's
		 * immediate (not ENTER's frame size). */
		int64_t v = op->imm;
		if (op->size == 4)
			v = (int32_t)v;
		else if (op->size == 2 && strcmp(opname, "ENTER"))
			v = (int16_t)v;
		if (!strcmp(opname, "ENTER"))
			hearth_buf_printf(out, "$0x%x", (uint16_t)v);
		else if (mode32)
			hearth_buf_printf(out, "$0x%x", (uint32_t)v);
		else if ((int64_t)(int32_t)v == v)
			hex(h, sizeof(h), v), hearth_buf_printf(out, "$%s", h);
		else
			hearth_buf_printf(out, "$0x%llx", (unsigned long long)v);
		return;
	case X86_OP_MEM: {
		const x86_op_mem *m = &op->mem;
		bool rip = m->base == X86_REG_RIP || m->base == X86_REG_EIP;
		/* (A negative 32-bit displacement, read unsigned, names nothing.) */
		if (m->segment == X86_REG_INVALID && m->disp != 0 && m->index == X86_REG_INVALID &&
		    (rip || m->base == X86_REG_INVALID) && !(disp32 && m->disp < 0)) {
			uint64_t at = rip ? in->address + in->size + (uint64_t)m->disp
					  : (uint64_t)m->disp;
			uint64_t base;
			const char *s = hearth_goasm_lookup(syms, at, &base);
			if (s) {
				int64_t off = (int64_t)(at - base);
				if (off)
					hearth_buf_printf(out, "%s%+lld(SB)", s, (long long)off);
				else
					hearth_buf_printf(out, "%s(SB)", s);
				return;
			}
		}
		if (m->segment != X86_REG_INVALID) {
			reg_name(cs, m->segment, r, sizeof(r));
			hearth_buf_printf(out, "%s:", r);
		} else if (string_op(opname)) {
			const char *b = cs_reg_name(cs, m->base);
			hearth_buf_puts(out, b && strstr(b, "di") ? "ES:" : "DS:");
		}
		if (m->disp != 0) {
			/* Go's decoder keeps a 32-bit displacement unsigned (an
			 * 8-bit one is sign-extended). */
			if (disp32 && m->disp < 0 && m->disp >= INT32_MIN)
				snprintf(h, sizeof(h), "0x%x", (uint32_t)m->disp);
			else
				hex(h, sizeof(h), m->disp);
			hearth_buf_puts(out, h);
		} else {
			hearth_buf_puts(out, "0");
		}
		if (m->base != X86_REG_INVALID) {
			reg_name(cs, m->base, r, sizeof(r));
			hearth_buf_printf(out, "(%s)", r);
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

bool hearth_goasm_x86(csh cs, const cs_insn *in, bool mode32, const hearth_goasm_syms *syms,
		      hearth_buf *out)
{
	const cs_x86 *x = &in->detail->x86;
	const char *mn = in->mnemonic;
	const char *rep = "", *lock = "";
	/* Capstone writes the prefixes into the mnemonic ("rep stosq"). */
	for (;;) {
		if (!strncmp(mn, "rep ", 4) || !strncmp(mn, "repe ", 5) || !strncmp(mn, "repz ", 5))
			rep = "REP; ", mn = strchr(mn, ' ') + 1;
		else if (!strncmp(mn, "repne ", 6) || !strncmp(mn, "repnz ", 6))
			rep = "REPNE; ", mn = strchr(mn, ' ') + 1;
		else if (!strncmp(mn, "lock ", 5))
			lock = "LOCK ", mn = mn + 5;
		else if (!strncmp(mn, "notrack ", 8) || !strncmp(mn, "bnd ", 4))
			mn = strchr(mn, ' ') + 1;
		else
			break;
	}
	char op[32];
	size_t k = 0;
	for (; mn[k] && k + 1 < sizeof(op); k++)
		op[k] = (char)toupper((unsigned char)mn[k]);
	op[k] = 0;
	bool xmm = false, mem = false;
	int memsize = 0;
	for (uint8_t i = 0; i < x->op_count; i++) {
		if (x->operands[i].type == X86_OP_REG) {
			const char *r = cs_reg_name(cs, x->operands[i].reg);
			xmm |= r && !strncmp(r, "xmm", 3);
		} else if (x->operands[i].type == X86_OP_MEM) {
			mem = true;
			memsize = x->operands[i].size;
		}
	}
	/* x86asm's names where capstone's differ. */
	if (!strcmp(op, "MOVABS"))
		strcpy(op, "MOV");
	else if (!strcmp(op, "SAL"))
		strcpy(op, "SHL");
	else if (!strcmp(op, "WAIT"))
		strcpy(op, "FWAIT");
	else if (!strcmp(op, "INT1"))
		strcpy(op, "ICEBP");
	else if ((!strcmp(op, "MOVSD") || !strcmp(op, "CMPSD")) && xmm)
		strcat(op, "_XMM");
	if (!strcmp(op, "INT3")) {
		hearth_buf_puts(out, "INT $0x3");
		return true;
	}
	if (!is_known(op))
		return false;
	bool cmp = !strcmp(op, "CMP");
	if (!strcmp(op, "XLATB")) {
		hearth_buf_puts(out, "XLATB DS:0(BX)");
		return true;
	}
	if (is_suffixed(op)) {
		int s;
		if (mem && memsize)
			s = memsize * 8;
		else if (x->op_count == 1 && x->operands[0].type == X86_OP_REG &&
			 x->operands[0].size == 8)
			s = 64;
		else if (!mode32 && (x->rex & 8))
			s = 64;
		else if (x->prefix[2] == 0x66)
			s = 16;
		else
			s = 32;
		strcat(op, s == 8 ? "B" : s == 16 ? "W" : s == 32 ? "L" : "Q");
	}
	hearth_buf_printf(out, "%s%s%s", rep, lock, op);
	/* Go's order: the last operand first; comparisons read left to right. */
	int n = x->op_count;
	int order[8];
	for (int i = 0; i < n && i < 8; i++)
		order[i] = n - 1 - i;
	/* CMP reads left to right; XCHG's short form (90+r) names AX first;
	 * an x87 operation on st(0) and st(i) (D8 /r) shows both. */
	if ((cmp || (!strncmp(op, "XCHG", 4) && x->opcode[0] >= 0x91 && x->opcode[0] <= 0x97)) &&
	    n == 2) {
		order[0] = 0;
		order[1] = 1;
	}
	if (op[0] == 'F' && n == 1 && x->opcode[0] == 0xD8 && x->operands[0].type == X86_OP_REG) {
		hearth_buf_puts(out, " ");
		arg(cs, in, &x->operands[0], mode32, op, syms, out);
		hearth_buf_puts(out, ", F0");
		return true;
	}
	for (int i = 0; i < n && i < 8; i++) {
		hearth_buf_puts(out, i ? ", " : " ");
		arg(cs, in, &x->operands[order[i]], mode32, op, syms, out);
	}
	return true;
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
