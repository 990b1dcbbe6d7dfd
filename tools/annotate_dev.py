#!/usr/bin/env python3
"""Make data/validation/training-dev.yaml from the shared copy, adding structured fields for
facts the shared file states only in prose (notes) or by the source's date. Every added field
is explained in the run's `danlu_annotation`. Re-run after refreshing the shared file:
    python3 tools/annotate_dev.py ../shared/validation/training-dev.yaml data/validation/training-dev.yaml
"""
import re, sys, yaml

src, dst = sys.argv[1], sys.argv[2]
text = open(src).read()
runs = {r['id']: r for r in yaml.safe_load(text)}

def additions(r):
    rid, notes = r['id'], r.get('notes', '') or ''
    top, par, why = [], [], []
    if rid.startswith(('narayanan2021', 'korthikanti2022')):
        top.append('attention_kernel: unfused')
        why.append('attention_kernel unfused: the source predates FlashAttention (Dao et al., arXiv 2205.14135, '
                   'May 2022); Megatron-LM then ran the attention core as batched GEMMs with its fused '
                   'scale-mask-softmax kernel')
    if rid.startswith('torchtitan') and '500 W' in notes and '96GB' in notes:
        top.append('accelerator_variant: {power_cap_w: 500, hbm_gib: 96, hbm_bandwidth_gbs: 2400}')
        why.append('accelerator_variant from the notes: H100 SXM 96GB HBM2e (2.4 TB/s) at a 500 W power limit')
    if rid.startswith(('mbridge', 'nemo', 'mcore')) and (r.get('parallel') or {}).get('zero') == 3:
        top.append('attention_kernel: flash')
        why.append('attention_kernel flash: Megatron-Core runs attention through Transformer Engine (cuDNN fused '
                   'attention), also under Megatron-FSDP (ZeRO-3)')
        top.append('fused_loss: true')
        why.append("fused_loss true: Megatron-Core computes the loss with its own vocab-parallel cross-entropy "
                   "(megatron/core/tensor_parallel/cross_entropy.py), also under Megatron-FSDP")
    if rid.startswith('torchtitan'):
        top.append('attention_kernel: flash2')
        why.append('attention_kernel flash2: torch SDPA on H100 dispatches its FlashAttention-2 backend '
                   '(cuDNN attention opt-in since pytorch/pytorch#138522, Oct 2024; observed dispatch in '
                   'pytorch/torchtitan#1042)')
        rc = (r.get('parallel') or {}).get('recompute')
        if rc == 'selective':
            top.append('selective_recompute: op')
            why.append("selective_recompute op: torchtitan's selective AC option defaults to 'op' "
                       "(per-op SAC, named in the asynctp notes)")
        top.append('fused_loss: false')
        why.append("fused_loss false: torchtitan compiles each TransformerBlock but not its loss "
                   "(train.py: 'compiling loss function causes CUDA errors, turning off for now'); "
                   "F.cross_entropy runs eagerly on pred.float(), through DTensor loss_parallel when TP is on")
        techniques = notes[notes.find('Techniques'):] if 'Techniques' in notes else notes
        if 'compile' not in techniques.split(';')[0] and 'compile' not in notes:
            top.append('fused_elementwise: false')
            why.append('fused_elementwise false: no torch.compile in the techniques (eager PyTorch)')
        else:
            top.append('fused_elementwise: true')
            why.append("fused_elementwise true: the notes name torch.compile (torchtitan's own default is eager, "
                       "compile = false)")
    if rid.startswith('maxtext') and "remat_policy 'minimal'" in notes:
        top.append('selective_recompute: dots')
        why.append("selective_recompute dots: MaxText's remat_policy 'minimal' is "
                   "jax.checkpoint_policies.checkpoint_dots_with_no_batch_dims (MaxText layers/decoders.py): the "
                   "projections' outputs are saveable, attention, norms and elementwise ops are rematerialised")
    par0 = r.get('parallel') or {}
    if rid.startswith('torchtitan') and par0.get('pp', 1) > 1 and 'micro_batch' not in par0:
        # torchtitan (late 2024, torchtitan/parallelisms/pipelining_utils.py): with no split points
        # given, generate_split_points builds one stage per rank for single-stage schedules (1F1B)
        # and two for multi-stage ones (Interleaved 1F1B); with pipeline_parallel_microbatches
        # unset, build_pipeline_schedule uses n_microbatches = pp degree x stages per rank.
        local = par0['global_batch'] // par0['dp']
        stages = 2 if 'Interleaved 1F1B' in notes else 1
        n_mb = par0['pp'] * stages
        if stages > 1:
            par.append(f"vpp: {stages}")
            why.append(f"vpp {stages}: torchtitan's generate_split_points builds 2 stages per rank for a "
                       f"multi-stage (Interleaved 1F1B) schedule when no split points are given "
                       f"(torchtitan/parallelisms/pipelining_utils.py, late 2024)")
        par.append(f"micro_batch: {local // n_mb}")
        why.append(f"micro_batch {local // n_mb}: torchtitan builds the pipeline schedule with "
                   f"n_microbatches = pipeline_parallel_degree x stages per rank ({par0['pp']} x {stages}) when unset "
                   f"(build_pipeline_schedule, torchtitan/parallelisms/pipelining_utils.py), splitting the local batch "
                   f"global_batch/dp = {local}")
    if rid.startswith('mcore-h100-strong-177b') and 'tp' not in par0 and 'TP8 PP6' in notes:
        par.extend(['tp: 8', 'pp: 6'])
        why.append('tp 8, pp 6: not stated for the strong-scaling points; the notes point to the 177B '
                   'weak-scaling row of the same README, which uses TP8 PP6 (uncertain)')
    tp = (r.get('parallel') or {}).get('tp', 8 if 'tp: 8' in par else 1)
    if tp and tp > 1:
        if re.search(r'async ?TP', notes, re.I):
            par.append('tp_comm_overlap: true'); why.append('tp_comm_overlap true: notes say AsyncTP')
        elif rid.startswith('torchtitan'):
            par.append('tp_comm_overlap: false'); why.append('tp_comm_overlap false: torchtitan vanilla TP')
        elif '--tp-comm-overlap' in notes:
            par.append('tp_comm_overlap: true'); why.append('tp_comm_overlap true: notes list --tp-comm-overlap')
    if rid == 'nemo2407-nemotron340b-128' and 'recompute' not in par0:
        # The NeMo launcher's Nemotron-4 340B recipe has exactly this run's layout (TP 8, PP 8,
        # VPP 12, micro-batch 1, sequence parallel) and states what the table leaves out.
        par.append('recompute: none')
        par.append('grad_reduce_bf16: true')
        why.append("recompute none, grad_reduce_bf16 true: NVIDIA/NeMo-Framework-Launcher "
                   "launcher_scripts/conf/training/nemotron/nemotron_340b.yaml, the recipe with this run's "
                   "TP 8 / PP 8 / VPP 12 / micro-batch 1 / sequence parallel, sets "
                   "activations_checkpoint_granularity null and optim.grad_sync_dtype bf16")
    if rid == 'mbridge2511-gb200-dsv3-bf16' and 'recompute' not in par0:
        # NVIDIA-NeMo/Megatron-Bridge performance recipe for this row (DeepSeek-V3, GB200, BF16,
        # TP 1 / PP 4 / VP 4 / EP 64): selective granularity with the MLA up-projection module,
        # and the recipe's pipeline layout for (pp 4, vp 4): embedding + 4 decoder layers in the
        # first chunk, 4 in each of the next 14, 1 (+ MTP + loss) in the last.
        par.extend(['recompute: selective', 'recompute_modules: [mla_up_proj]', 'first_stage_layers: 4',
                    'last_stage_layers: 1'])
        why.append("recompute selective with recompute_modules [mla_up_proj], first_stage_layers 4, "
                   "last_stage_layers 1: NVIDIA-NeMo/Megatron-Bridge scripts/performance/configs/deepseek "
                   "(set_deepseek_v3_common_configs: recompute_granularity selective; GB200 BF16 "
                   "recompute_modules ['mla_up_proj']) and src/megatron/bridge/recipes/deepseek/deepseek_v3.py "
                   "(pipeline layout for pp 4 x vp 4: [embedding + 4 decoder], 14 x [4 decoder], "
                   "[1 decoder + mtp + loss]); the table's run is without MTP")
    if rid == 'mbridge2511-h100-qwen3-235b' and 'recompute' not in par0:
        par.append('recompute: none')
        why.append("recompute none: the Megatron-Bridge Qwen3 performance recipe leaves recompute_granularity, "
                   "recompute_method and recompute_modules unset (scripts/performance, qwen3_llm_pretrain.py)")
    if 'force-balance the token distribution' in notes:
        par.append('moe_imbalance: 1.0')
        why.append("moe_imbalance 1.0: the notes quote the source, 'we force-balance the token distribution "
                   "among experts' (benchmark mode), so the busiest expert-parallel rank carries the mean load "
                   "rather than danlu's default 1.15")
    mod = []
    model = r.get('model') or {}
    if 'vocab' not in model and 'preset' not in model and 'GPT-2 BPE' in notes:
        mod.append('vocab: 50257')
        why.append('vocab 50257: the notes name the GPT-2 BPE tokenizer, whose vocabulary is 50,257 tokens '
                   '(Radford et al. 2019, sec. 2.2); Megatron pads it to a multiple of 128*tp, which the source '
                   'does not state (under 0.5 % of the logits GEMM)')
    return top, par, why, mod

out, cur = [], None
for line in text.split('\n'):
    m = re.match(r'- id: (\S+)', line)
    if m:
        cur = runs[m.group(1)]
        out.append(line)
        top, par, why, mod = additions(cur)
        cur = (top, par, why, mod)
        for t in top:
            out.append('  ' + t)
        if why:
            out.append('  danlu_annotation: ' + yaml.safe_dump('; '.join(why), width=10000).strip().split('\n')[0])
        continue
    out.append(line)
    if cur and line == '  parallel:':
        for p in cur[1]:
            out.append('    ' + p)
    if cur and line == '  model:':
        for p in cur[3]:
            out.append('    ' + p)
header = ('# danlu copy of shared/validation/training-dev.yaml with structured annotations (see each run\'s\n'
          '# danlu_annotation), generated by tools/annotate_dev.py. Measured figures are untouched.\n')
open(dst, 'w').write(header + '\n'.join(out))
# self-check: same runs, same measured values
a = yaml.safe_load(text); b = yaml.safe_load(open(dst))
assert [r['id'] for r in a] == [r['id'] for r in b]
assert all(x['measured'] == y['measured'] for x, y in zip(a, b))
print(sum(1 for r in b if 'danlu_annotation' in r), 'runs annotated')
