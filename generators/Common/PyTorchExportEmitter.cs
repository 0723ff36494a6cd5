using System.Collections.Generic;
using System.Linq;
using GenDsl.Generators.Flows;
using GenDsl.Generators.Helpers;
using GenDsl.Generators.Layers;
using GenDsl.Generators.Networks;

namespace GenDsl.Generators.Common;

/// <summary>
/// The PyTorch export of a model (issue #16): a second partial declaration of the model class with
/// <c>PyTorchSource</c>, the text of a self-contained Python file defining a <c>torch.nn.Module</c> that
/// mirrors the declaration, and <c>ExportPyTorch(directory)</c>, which writes that file and the weights.
/// The module's parameter and buffer paths are the checkpoint names (<c>C1.net.0.weight</c>,
/// <c>encoder.head.bias</c>, <c>G2.running_mean</c>), so a GenDsl checkpoint loads with
/// <c>load_state_dict</c> and a state dict saved from PyTorch loads back with <c>model.Load</c>. Every
/// network layer's code comes from its op (<see cref="Op.PyTorchDeclarations"/>, <see cref="Op.PyTorchForward"/>);
/// this file writes the model kinds around them: the flow layers of docs/flow-layers.md, the VAE's
/// ELBO and the GAN's losses exactly as the C# emitters compute them.
/// </summary>
internal static class PyTorchExportEmitter
{
    // ============================================================================ entry points

    public static void EmitFlow(SourceWriter w, FlowPlan plan)
    {
        var spec = plan.Spec;
        EmitPartial(w, spec.ClassName, FlowPython(plan), $"[Flow] {spec.FullName}: forward (x → z, ln|det J_h|), inverse, log_prob, sample and loss (the mean NLL TrainStep minimises)");
    }

    public static void EmitNet(SourceWriter w, NetModelPlan plan)
    {
        var spec = plan.Spec;
        string what = spec.Kind == NetKind.Vae
            ? "encode, decode, reconstruct, sample, elbo, log_prob (IWAE) and loss (the negative ELBO TrainStep minimises, ε optional)"
            : "generate, discriminate, sample, discriminator_loss and generator_loss (the losses TrainStep minimises, given z)";
        EmitPartial(w, spec.ClassName, NetPython(plan), $"[{(spec.Kind == NetKind.Vae ? "Vae" : "Gan")}] {spec.FullName}: {what}");
    }

    public static void EmitSemiSupervised(SourceWriter w, SemiSupervisedPlan plan)
    {
        var spec = plan.Spec;
        EmitPartial(w, spec.ClassName, SemiSupervisedPython(plan), $"[SemiSupervisedVae] {spec.FullName}: encode, decode, classify, predict, sample, transfer, elbo, loss (the objective TrainStep minimises, ε and the classifier's noise optional) and classifier_loss (TrainClassifier's)");
    }

    public static void EmitRegressor(SourceWriter w, RegressorPlan plan)
    {
        var spec = plan.Spec;
        EmitPartial(w, spec.ClassName, RegressorPython(plan), $"[Regressor] {spec.FullName}: predict (y → x̂) and loss (the mean squared error TrainStep minimises)");
    }

    /// <summary>The C# partial declaration holding the Python text as a raw string constant.</summary>
    private static void EmitPartial(SourceWriter w, string className, string python, string summary)
    {
        int quotes = 3, run = 0;
        foreach (char c in python)
        {
            run = c == '"' ? run + 1 : 0;
            if (run >= quotes) quotes = run + 1;
        }
        string delimiter = new('"', quotes);
        w.Line();
        w.Line($"/// <summary>PyTorch export of {Xml(summary)}.</summary>");
        w.Open($"partial class {className} : global::GenDsl.IPyTorchExportable // [GeneratedCode] is on the first part");
        w.Line($"/// <summary>The Python file <see cref=\"ExportPyTorch\"/> writes as {className}.py: a torch.nn.Module whose state_dict names are this model's checkpoint names.</summary>");
        w.Line($"public const string PyTorchSource = {delimiter}");
        foreach (var line in python.TrimEnd('\n').Split('\n'))
            w.Line(line);
        w.Line($"{delimiter};");
        w.Line();
        w.Line($"/// <summary>Writes {className}.py (<see cref=\"PyTorchSource\"/>) and {className}.safetensors (every parameter and buffer, with <paramref name=\"step\"/> in its metadata, as <see cref=\"Save\"/> writes them) to <paramref name=\"directory\"/>, creating it if needed.</summary>");
        w.Line($"public void ExportPyTorch(string directory, long step = 0) => global::GenDsl.PyTorchExport.Write(this, directory, \"{className}\", PyTorchSource, step);");
        w.Close();
    }

    private static string Xml(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    // ============================================================================ shared Python

    /// <summary>Imports, GenDsl's softplus, and a safetensors reader and writer using only torch, json and struct.</summary>
    private const string Preamble = @"import json
import math
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

_HALF_LOG_2PI = 0.918938533204672742  # ½·ln(2π)


def _softplus(x):
    # GenDsl's softplus: max(x, 0) + log1p(exp(−|x|)) (torch's F.softplus switches to x above 20)
    return torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))


def load_safetensors(path):
    # Reads a safetensors file of F32 tensors: (dict name → tensor, metadata dict).
    with open(path, ""rb"") as f:
        data = f.read()
    (n,) = struct.unpack(""<Q"", data[:8])
    header = json.loads(data[8:8 + n].decode(""utf-8""))
    metadata = header.pop(""__metadata__"", None) or {}
    if sys.byteorder != ""little"":
        raise RuntimeError(""safetensors data is little-endian; this reader runs on little-endian machines only"")
    tensors = {}
    for name, info in header.items():
        if info[""dtype""] != ""F32"":
            raise ValueError(""%s: tensor %s is %s; GenDsl checkpoints hold F32 tensors"" % (path, name, info[""dtype""]))
        begin, end = info[""data_offsets""]
        raw = bytearray(data[8 + n + begin:8 + n + end])
        t = torch.frombuffer(raw, dtype=torch.float32) if len(raw) > 0 else torch.zeros(0)
        tensors[name] = t.reshape(info[""shape""])
    return tensors, metadata


def save_safetensors(path, tensors, metadata=None):
    # Writes tensors (name → tensor, stored as F32) and string metadata, atomically (a temporary file, then a rename).
    header = {}
    if metadata:
        header[""__metadata__""] = {str(k): str(v) for k, v in metadata.items()}
    blobs, offset = [], 0
    for name, t in tensors.items():
        t = t.detach().to(device=""cpu"", dtype=torch.float32).contiguous()
        try:
            blob = t.numpy().tobytes()
        except Exception:  # torch built without numpy
            blob = struct.pack(""<%df"" % t.numel(), *t.flatten().tolist())
        header[name] = {""dtype"": ""F32"", ""shape"": list(t.shape), ""data_offsets"": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=("","", "":"")).encode(""utf-8"")
    text += b"" "" * (-len(text) % 8)
    temporary = path + "".tmp""
    with open(temporary, ""wb"") as f:
        f.write(struct.pack(""<Q"", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(temporary, path)
";

    /// <summary>
    /// The MADE masks of [MaskedAutoregressive] (docs/flow-layers.md, "Masked autoregressive"; MadeKernels.IsConnected).
    /// </summary>
    private const string MadeHelpers = @"

def _made_masks(features, condition, hidden, hidden_layers, per_feature=0):
    # The masks M_0 … M_n (M[out, in] = 1: the weight is used) of a MADE over `features` inputs and `condition` condition
    # columns: feature i has degree i + 1, hidden unit j (every hidden layer) degree 1 + (j mod max(1, D − 1));
    # M_0[j, i] = deg(j) ≥ i + 1, the condition columns reach every first-layer unit; M_l[j, p] = deg(j) ≥ deg(p);
    # the outputs of feature i see the units of degree < i + 1, so they depend on x_0 … x_(i−1) only: r_i (row i) and
    # m_i (row D + i) for the affine transform (per_feature = 0), θ_i (rows i·P … i·P + P − 1) for a spline (per_feature = P).
    feature = torch.arange(1, features + 1)
    unit = 1 + torch.arange(hidden) % max(1, features - 1)
    first = (unit[:, None] >= feature[None, :]).float()
    masks = [torch.cat([first, torch.ones(hidden, condition)], 1)]
    for _ in range(hidden_layers - 1):
        masks.append((unit[:, None] >= unit[None, :]).float())
    output = feature.repeat_interleave(per_feature) if per_feature > 0 else torch.cat([feature, feature])
    masks.append((output[:, None] > unit[None, :]).float())
    return masks
";

    /// <summary>
    /// The rational-quadratic spline of [SplineCoupling] (docs/flow-layers.md; runtime/Numerics/SplineKernels.cs) in torch
    /// ops, in the dtype of its inputs: knots, the forward map with its log-derivative, and the inverse by the stable root
    /// with the bisection fallback. Emitted only into flows that have a spline coupling.
    /// </summary>
    private const string SplineHelpers = @"

_MIN_BIN_WIDTH = 1e-3  # m_w, as a fraction of 2B
_MIN_BIN_HEIGHT = 1e-3  # m_h
_MIN_DERIVATIVE = 1e-3  # m_d


def _rq_cumulative(p, minimum, bound):
    # knots k = 0 … K of one axis: x_0 = −B, x_k = −B + 2B·Σ_{i<k} (m + (1 − m·K)·p_i), x_K = B
    widths = minimum + (1 - minimum * p.shape[-1]) * p
    inner = -bound + 2 * bound * torch.cumsum(widths[..., :-1], -1)
    edge = torch.ones_like(p[..., :1]) * bound
    return torch.cat([-edge, inner, edge], -1)


def _rq_bin(knots, value, bins):
    # the bin of each value, [..., 1]: the largest k ≤ K−1 with knot_k ≤ value (a value on a knot starts that knot's bin;
    # B is in bin K−1), i.e. the number of interior knots ≤ value
    return (knots[..., 1:bins] <= value[..., None]).sum(-1, keepdim=True)


def _rq_knots(theta, bins, bound):
    # θ [..., 3K − 1] → knots xs, ys [..., K + 1] and derivatives ds [..., K + 1] (δ_0 = δ_K = 1)
    xs = _rq_cumulative(torch.softmax(theta[..., :bins], -1), _MIN_BIN_WIDTH, bound)
    ys = _rq_cumulative(torch.softmax(theta[..., bins:2 * bins], -1), _MIN_BIN_HEIGHT, bound)
    inner = _MIN_DERIVATIVE + _softplus(theta[..., 2 * bins:])
    one = torch.ones_like(inner[..., :1])
    return xs, ys, torch.cat([one, inner, one], -1)


def _rq_gather(xs, ys, ds, k):
    # x_k, w_k, y_k, h_k, δ_k, δ_{k+1} of bin k (k [..., 1]), each [...]
    x0, x1 = xs.gather(-1, k)[..., 0], xs.gather(-1, k + 1)[..., 0]
    y0, y1 = ys.gather(-1, k)[..., 0], ys.gather(-1, k + 1)[..., 0]
    return x0, x1, y0, y1, ds.gather(-1, k)[..., 0], ds.gather(-1, k + 1)[..., 0]


def _rq_spline(u, theta, bins, bound):
    # v = g(u; θ) and ln g′(u), elementwise over u [rows, d] with θ [rows, d, 3K − 1]; identity and 0 outside [−B, B]
    inside = (u >= -bound) & (u <= bound)
    uc = torch.clamp(u, -bound, bound)  # the tails' values are replaced below; clamped, they stay finite in the unused branch
    xs, ys, ds = _rq_knots(theta, bins, bound)
    x0, x1, y0, y1, d0, d1 = _rq_gather(xs, ys, ds, _rq_bin(xs, uc, bins))
    w, h = x1 - x0, y1 - y0
    s = h / w
    xi = (uc - x0) / w
    xi = xi + (torch.clamp(xi, 0, 1) - xi).detach()  # clamped to [0, 1] (round-off at the knots), differentiated as unclamped, as GenDsl does
    om = 1 - xi
    t = xi * om
    den = s * (om * om + xi * xi) + (d0 + d1) * t  # s + (δ_{k+1} + δ_k − 2s)·ξ(1 − ξ), as non-negative terms
    v = y0 + h * (s * xi * xi + d0 * t) / den
    v = v + (torch.minimum(torch.maximum(v, y0), y1) - v).detach()  # clamped to its bin (the gradient as unclamped, as GenDsl's)
    logd = torch.log(s * s * (d1 * xi * xi + 2 * s * t + d0 * om * om)) - 2 * torch.log(den)
    return torch.where(inside, v, u), torch.where(inside, logd, torch.zeros_like(logd))


def _rq_residual(xi, h, s, d0, d1, dy):
    # g(ξ) − v within the bin
    om = 1 - xi
    t = xi * om
    return h * (s * xi * xi + d0 * t) / (s * (om * om + xi * xi) + (d0 + d1) * t) - dy


def _rq_spline_inverse(v, theta, bins, bound):
    # u = g⁻¹(v; θ) elementwise (identity outside [−B, B]): the stable root ξ = 2c / (−b − √(b² − 4ac)) of
    # aξ² + bξ + c = 0, checked against the forward map and replaced by 64 bisection steps where it misses by > 1e-9·h
    inside = (v >= -bound) & (v <= bound)
    vc = torch.clamp(v, -bound, bound)
    xs, ys, ds = _rq_knots(theta, bins, bound)
    x0, x1, y0, y1, d0, d1 = _rq_gather(xs, ys, ds, _rq_bin(ys, vc, bins))
    w, h = x1 - x0, y1 - y0
    s = h / w
    dy = vc - y0
    total = d0 + d1 - 2 * s
    qa = h * (s - d0) + dy * total
    qb = h * d0 - dy * total
    qc = -s * dy
    den = -qb - torch.sqrt(torch.clamp(qb * qb - 4 * qa * qc, min=0))
    negative = den < 0
    xi = torch.where(negative, torch.clamp(2 * qc / torch.where(negative, den, -torch.ones_like(den)), 0, 1), torch.zeros_like(den))
    bad = ~(torch.abs(_rq_residual(xi, h, s, d0, d1, dy)) <= 1e-9 * h)
    if bool(bad.any()):
        lo, hi = torch.zeros_like(xi), torch.ones_like(xi)
        for _ in range(64):
            mid = 0.5 * (lo + hi)
            below = _rq_residual(mid, h, s, d0, d1, dy) < 0
            lo, hi = torch.where(below, mid, lo), torch.where(below, hi, mid)
        xi = torch.where(bad, 0.5 * (lo + hi), xi)
    u = torch.minimum(torch.maximum(x0 + xi * w, x0), x1)
    return torch.where(inside, u, v)
";

    /// <summary>The module's constants, constructor head, and the checkpoint methods every model kind has.</summary>
    private static void ClassHead(SourceWriter p, string className, string fullName, string hash, string doc, ModelLayout layout,
        IEnumerable<(string Name, string Value)> constants)
    {
        p.Line();
        p.Line();
        p.Line($"class {className}(nn.Module):");
        p.Indent();
        foreach (var line in doc.Split('\n'))
            p.Line("# " + line);
        p.Line($"MODEL = {PyStr(fullName)}");
        p.Line($"DECLARATION_HASH = {PyStr(hash)}");
        foreach (var (name, value) in constants)
        {
            if (!s_classConstants.Contains(name)) // a new constant must be listed, or a member of its name would shadow it
                throw new System.InvalidOperationException($"PyTorch export: class constant {name} is missing from s_classConstants.");
            p.Line($"{name} = {value}");
        }
        var sheltered = layout.Tensors.Select(t => t.Name.Split('.')[0]).Where(IsSheltered).Distinct().ToList();
        if (sheltered.Count > 0)
        {
            p.Line();
            p.Line("def __setattr__(self, name, value):");
            p.Line("    # A plain value assigned to the name of a member kept in self._modules (a member named training: eval() and");
            p.Line("    # train() assign self.training) is an attribute beside that child module, where nn.Module would refuse it.");
            p.Line("    if not isinstance(value, nn.Module) and name in self.__dict__.get(\"_modules\", {}):");
            p.Line("        object.__setattr__(self, name, value)");
            p.Line("    else:");
            p.Line("        super().__setattr__(name, value)");
        }
        p.Line();
        p.Line("def __init__(self):");
        p.Indent();
        p.Line("super().__init__()");
        p.Line($"# containers at the checkpoint names' module paths ({layout.Tensors.Count} tensors)");
        if (sheltered.Count > 0)
        {
            p.Line($"# {string.Join(", ", sheltered)}: not attributes but self._modules[name], as the name is not a capitalised identifier");
            p.Line("# (it could be a torch.nn.Module attribute, a method of this module or a Python keyword): nothing is shadowed, and");
            p.Line("# the state_dict keys stay GenDsl's tensor names");
        }
        foreach (var line in Containers(layout))
            p.Line(line);
    }

    /// <summary>The checkpoint methods, after the constructor.</summary>
    private static void CheckpointMethods(SourceWriter p, string className, bool actNorm, bool masks = false)
    {
        p.Line();
        p.Line("def load_safetensors(self, path, strict=True):");
        p.Line("    # Loads a GenDsl checkpoint (model.Save, ExportPyTorch) or a file written by save_safetensors; returns its step.");
        p.Line("    tensors, metadata = load_safetensors(path)");
        p.Line("    saved = metadata.get(\"gendsl.declaration_hash\")");
        p.Line("    if saved is not None and saved != self.DECLARATION_HASH:");
        p.Line($"        raise ValueError(\"%s was saved from another declaration than {className} (declaration hash %s, expected %s)\" % (path, saved, self.DECLARATION_HASH))");
        p.Line("    self.load_state_dict(tensors, strict=strict)");
        p.Line("    return int(metadata.get(\"gendsl.step\", \"0\"))");
        p.Line();
        p.Line("def save_safetensors(self, path, step=0):");
        p.Line("    # Writes the state dict as a checkpoint that GenDsl's model.Load reads (same names, layouts and metadata).");
        p.Line("    save_safetensors(path, self.state_dict(), {\"gendsl.model\": self.MODEL, \"gendsl.declaration_hash\": self.DECLARATION_HASH,");
        p.Line("                                              \"gendsl.step\": str(int(step)), \"gendsl.format\": \"1\"})");
        if (actNorm || masks)
        {
            p.Line();
            p.Line("def load_state_dict(self, state_dict, strict=True):");
            p.Line("    result = super().load_state_dict(state_dict, strict)");
            if (actNorm)
                p.Line("    self.actnorm_initialized = True  # loaded ActNorm parameters are already data-initialised");
            if (masks)
                p.Line("    self.apply_masks()  # as GenDsl's Load: a file's non-zero masked-out MADE weights are dropped");
            p.Line("    return result");
        }
        p.Line();
        p.Line("def _like(self, t):");
        p.Line("    # t as a tensor of the parameters' dtype and device");
        p.Line("    ref = next(self.parameters())");
        p.Line("    return torch.as_tensor(t).to(device=ref.device, dtype=ref.dtype)");
    }

    private static void Footer(SourceWriter p, string className, string example)
    {
        p.Unindent();
        p.Line();
        p.Line();
        p.Line("if __name__ == \"__main__\":");
        p.Line("    # python3 " + className + ".py: loads the weights written next to this file and runs the module once.");
        p.Line("    model = " + className + "()");
        p.Line("    weights = os.path.join(os.path.dirname(os.path.abspath(__file__)), \"" + className + ".safetensors\")");
        p.Line("    if os.path.exists(weights):");
        p.Line("        print(\"step\", model.load_safetensors(weights))");
        p.Line("    model.eval()");
        p.Line("    with torch.no_grad():");
        p.Line("        " + example);
        p.Line("    print(\"" + className + ":\", sum(t.numel() for t in model.parameters()), \"parameters\")");
    }

    /// <summary>"nn.Module()" / "nn.ModuleList(…)" lines creating every module on the tensors' paths.</summary>
    private static IEnumerable<string> Containers(ModelLayout layout)
    {
        var paths = new List<string[]>();
        var seen = new HashSet<string>();
        foreach (var t in layout.Tensors)
        {
            var parts = t.Name.Split('.');
            for (int k = 1; k < parts.Length; k++)
            {
                var prefix = parts.Take(k).ToArray();
                if (seen.Add(string.Join(".", prefix)))
                    paths.Add(prefix);
            }
        }
        var items = new Dictionary<string, int>(); // module path → how many numbered children it has (a ModuleList)
        foreach (var path in paths)
        {
            if (path.Length > 1 && IsIndex(path[path.Length - 1]))
            {
                string parent = string.Join(".", path.Take(path.Length - 1));
                items[parent] = items.TryGetValue(parent, out int n) ? n + 1 : 1;
            }
        }
        foreach (var path in paths)
        {
            if (IsIndex(path[path.Length - 1]))
                continue; // made by its ModuleList
            string dotted = string.Join(".", path);
            int count = items.TryGetValue(dotted, out int c) ? c : 0;
            string value = count > 0 ? $"nn.ModuleList([nn.Module() for _ in range({count})])" : "nn.Module()";
            string parent = PyModule(path.Take(path.Length - 1).ToArray());
            yield return $"{parent}{Child(path[path.Length - 1], top: path.Length == 1)} = {value}";
        }
    }

    private static bool IsIndex(string segment) => segment.Length > 0 && segment.All(char.IsDigit);

    private static readonly HashSet<string> s_keywords = new()
    {
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif",
        "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or",
        "pass", "raise", "return", "try", "while", "with", "yield",
    };

    /// <summary>
    /// The class constants any generated module defines (ClassHead checks that every constant it writes is listed): a
    /// member of that name would shadow the constant on the instance.
    /// </summary>
    private static readonly HashSet<string> s_classConstants = new()
    {
        "MODEL", "DECLARATION_HASH", "FEATURES", "LATENT", "NOISE", "CONDITION", "CLASSES", "IMAGE", "BETA", "SIGMA",
        "GRADIENT_PENALTY", "ALPHA", "CLASSIFIER_NOISE",
    };

    /// <summary>The lower-case containers GenDsl itself puts at the top (the networks' heads, "encoder.head.weight"): never a method name.</summary>
    private static readonly HashSet<string> s_networkContainers = new() { "encoder", "decoder", "classifier", "generator", "discriminator", "predictor" };

    /// <summary>
    /// torch.nn.Module's public attributes and methods (torch 1.13 and 2.x, and the capitalised T_destination): a child
    /// module of that name, reached as an attribute, would shadow them or be shadowed.
    /// </summary>
    private static readonly HashSet<string> s_moduleAttributes = new()
    {
        "T_destination", "add_module", "apply", "bfloat16", "buffers", "call_super_init", "children", "compile", "cpu", "cuda",
        "double", "dump_patches", "eval", "extra_repr", "float", "forward", "get_buffer", "get_extra_state", "get_parameter",
        "get_submodule", "half", "ipu", "load_state_dict", "modules", "mtia", "named_buffers", "named_children", "named_modules",
        "named_parameters", "parameters", "register_backward_hook", "register_buffer", "register_forward_hook",
        "register_forward_pre_hook", "register_full_backward_hook", "register_full_backward_pre_hook",
        "register_load_state_dict_post_hook", "register_load_state_dict_pre_hook", "register_module", "register_parameter",
        "register_state_dict_post_hook", "register_state_dict_pre_hook", "requires_grad_", "set_extra_state", "set_submodule",
        "share_memory", "state_dict", "to", "to_empty", "train", "training", "type", "xpu", "zero_grad",
    };

    /// <summary>A segment usable as ".name" in Python: an ASCII identifier that is not a keyword.</summary>
    private static bool IsPlain(string segment) =>
        segment.Length > 0 && !char.IsDigit(segment[0]) && segment.All(c => c == '_' || (c < 128 && char.IsLetterOrDigit(c))) && !s_keywords.Contains(segment);

    /// <summary>
    /// Whether a module path segment is reached as an attribute (".E1") rather than through <c>_modules["…"]</c>. A member's
    /// name becomes the top segment, where the module's own names live too: torch.nn.Module's attributes and methods
    /// (forward, training, parameters, to …), the generated methods and helpers (encode, loss, _like …, all lower case) and
    /// the class constants (MODEL, FEATURES …). So a top segment is an attribute only when it is a plain identifier that
    /// starts with an upper-case letter and is none of those constants (or one of GenDsl's own network containers); any other
    /// name (forward, training, lambda, _x, e1) lives in <c>self._modules</c> under its checkpoint name, where it cannot shadow
    /// or be shadowed, and the state_dict keys stay the checkpoint names. Deeper segments are GenDsl's (net, head, 0).
    /// </summary>
    private static bool IsAttribute(string segment, bool top) =>
        IsPlain(segment) && !s_moduleAttributes.Contains(segment) && (top
            ? s_networkContainers.Contains(segment) || (segment[0] is >= 'A' and <= 'Z' && !s_classConstants.Contains(segment))
            : segment[0] != '_');

    /// <summary>
    /// The Python expression of a module path: ["C1", "net", "0"] → self.C1.net[0]; a member named like a torch.nn.Module
    /// attribute, a generated method or a keyword → self._modules["forward"].net[0] (see <see cref="IsAttribute"/>).
    /// </summary>
    private static string PyModule(string[] path)
    {
        var sb = new System.Text.StringBuilder("self");
        for (int i = 0; i < path.Length; i++)
            sb.Append(Child(path[i], top: i == 0));
        return sb.ToString();
    }

    /// <summary>The access to child <paramref name="segment"/> of a module expression: "[0]", ".E1" or "._modules[\"forward\"]".</summary>
    private static string Child(string segment, bool top) =>
        IsIndex(segment) ? $"[{segment}]" : IsAttribute(segment, top) ? "." + segment : $"._modules[{PyStr(segment)}]";

    /// <summary>Whether a member's name is kept out of the module's attributes (in <c>self._modules</c>); see <see cref="IsAttribute"/>.</summary>
    private static bool IsSheltered(string member) => !IsIndex(member) && !IsAttribute(member, top: true);

    /// <summary>The module of a node: the path of its tensors' names without the suffix ("C1.net.0.weight" → self.C1.net[0]).</summary>
    private static string NodeModule(OpNode node)
    {
        if (node.Tensors.Count == 0)
            return "self";
        var parts = node.Tensors[0].Name.Split('.');
        return PyModule(parts.Take(parts.Length - 1).ToArray());
    }

    private static string PyStr(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static string PyInts(IEnumerable<int> values) => "[" + Lit.Ints(values) + "]";

    private static string I(int v) => Lit.I(v);

    /// <summary>The op declarations of every node of a network.</summary>
    private static void Declarations(SourceWriter p, NetworkPlan net)
    {
        foreach (var node in net.Emitting)
            foreach (var line in node.Op.PyTorchDeclarations(node, NodeModule(node)))
                p.Line(line);
    }

    /// <summary>def {name}(self, h, training): the network's ops in order, each a line of its own.</summary>
    private static void NetworkMethod(SourceWriter p, string name, NetworkPlan net, string what)
    {
        p.Line();
        p.Line($"def {name}(self, h, training):");
        p.Indent();
        p.Line($"# {what}: {NetworkEmitter.Widths(net)}");
        foreach (var node in net.Nodes)
        {
            string? expression = node.Op.PyTorchForward(node, NodeModule(node), "h");
            p.Line(expression is null
                ? $"raise NotImplementedError({PyStr($"[{node.Op.Name}] ({node.Member}) has no PyTorch export yet")})"
                : $"h = {expression}  # {node.Describe()}");
        }
        p.Line("return h.flatten(1)");
        p.Unindent();
    }

    // ============================================================================ flows

    private static string FlowPython(FlowPlan plan)
    {
        var spec = plan.Spec;
        int D = plan.Features, K = plan.Condition;
        bool cond = K > 0;
        var p = new SourceWriter();
        p.Line($"# Generated by GenDsl from the [Flow] declaration of {spec.FullName}: a torch.nn.Module that computes");
        p.Line("# exactly what the generated C# computes (docs/flow-layers.md). Do not edit: change the declaration instead.");
        p.Line("# Its state_dict names are the checkpoint names; load_safetensors/save_safetensors exchange weights with GenDsl.");
        foreach (var line in Preamble.Replace("\r\n", "\n").Split('\n'))
            p.Line(line);
        p.Line("def _actnorm_init(layer, u):");
        p.Line("    # Glow's data-dependent initialisation (FlowKernels.ActNormInitialize): unit variance, zero mean on this batch.");
        p.Line("    with torch.no_grad():");
        p.Line("        x = u.double()");
        p.Line("        mean = x.mean(0)");
        p.Line("        variance = torch.clamp((x * x).mean(0) - mean * mean, min=0)");
        p.Line("        ls = -torch.log(torch.sqrt(variance) + 1e-6)");
        p.Line("        layer.logscale.copy_(ls.float())");
        p.Line("        layer.bias.copy_((-mean * torch.exp(ls)).float())");
        p.Line();
        p.Line();
        p.Line("def _lu_weight(layer, order):");
        p.Line("    # W = P·L·(U + diag(exp(logs))), P[i, π[i]] = 1: row i of W is row π[i] of L·Ũ");
        p.Line("    eye = torch.eye(layer.logs.shape[0], dtype=layer.logs.dtype, device=layer.logs.device)");
        p.Line("    lower = torch.tril(layer.lower, -1) + eye");
        p.Line("    upper = torch.triu(layer.upper, 1) + torch.diag(torch.exp(layer.logs))");
        p.Line("    return (lower @ upper)[order, :]");
        if (plan.Layers.Any(l => l.Checkerboard))
        {
            p.Line();
            p.Line();
            p.Line("def _checkerboard(height, width, parity, like):");
            p.Line("    # [1, 1, H, W] bool: the pixels (h, w) with (h + w) mod 2 = parity, those a checkerboard coupling keeps");
            p.Line("    h = torch.arange(height, device=like.device)[:, None]");
            p.Line("    w = torch.arange(width, device=like.device)[None, :]");
            p.Line("    return ((h + w) % 2 == parity)[None, None]");
        }
        if (plan.Layers.Any(l => l.Kind == LayerKind.MaskedAutoregressive))
            foreach (var line in MadeHelpers.Replace("\r\n", "\n").TrimEnd('\n').Split('\n'))
                p.Line(line);
        if (plan.Layers.Any(l => l.Kind == LayerKind.SplineCoupling || l.Spec.IsSplineMade))
            foreach (var line in SplineHelpers.Replace("\r\n", "\n").TrimEnd('\n').Split('\n'))
                p.Line(line);

        string image = plan.ImageShape is { } declared ? $" ({declared[0]}×{declared[1]}×{declared[2]} images as rows, channel-major)" : "";
        string doc = $"Flow over {D} features{image}{(cond ? $", conditioned on {K} values y" : "")}; layers in declaration order map data x to latent z.\n"
            + "forward(x) = (z, ln|det J_h(x)|); inverse(z) = x; log_prob(x) = −½‖z‖² − (D/2)·ln 2π + ln|det J_h|;\n"
            + "loss(x) = −mean log_prob (GenDsl's TrainStep loss; initialises ActNorm layers from the first batch, as GenDsl does).";
        var flowConstants = new List<(string, string)> { ("FEATURES", I(D)), ("CONDITION", I(K)) };
        if (plan.ImageShape is { } imageShape)
            flowConstants.Add(("IMAGE", $"({I(imageShape[0])}, {I(imageShape[1])}, {I(imageShape[2])})"));
        ClassHead(p, spec.ClassName, spec.FullName, plan.DeclarationHash, doc, plan.Layout, flowConstants);
        foreach (var layer in plan.Layers)
        {
            string m = PyModule(new[] { layer.Name });
            switch (layer.Kind)
            {
                case LayerKind.AffineCoupling:
                case LayerKind.AdditiveCoupling:
                case LayerKind.SplineCoupling:
                    Declarations(p, layer.Network!);
                    if (layer.Kind == LayerKind.AffineCoupling) // one scale per transformed feature, or per head channel (convolutional)
                        p.Line($"{m}.scale = nn.Parameter(torch.ones(({I(layer.ConvCoupling ? layer.ScaleLength : layer.Transformed.Length)},)))");
                    if (layer.Kind == LayerKind.SplineCoupling && plan.Spec.IdentityInit)
                    {
                        // FlowInitialization.Identity: as GenDsl's ResetParameters, the zero output layer's derivative entries at ln(e^(1 − m_d) − 1)
                        string output = NodeModule(layer.Network!.Emitting.Last());
                        int bins = layer.Bins, P = layer.SplineParameters;
                        p.Line($"# the output bias's derivative entries of every θ_j (columns j·{I(P)} + {I(2 * bins)} … j·{I(P)} + {I(P - 1)}) at ln(e^(1 − m_d) − 1), so that every δ = 1:");
                        p.Line("# with the zero output weight the coupling starts as the identity, as in GenDsl");
                        p.Line("with torch.no_grad():");
                        p.Line($"    {output}.bias.view({I(layer.Transformed.Length)}, {I(P)})[:, {I(2 * bins)}:].fill_(math.log(math.expm1(1 - _MIN_DERIVATIVE)))");
                    }
                    break;
                case LayerKind.MaskedAutoregressive:
                {
                    bool spline = layer.Spec.IsSplineMade;
                    Declarations(p, layer.Network!);
                    if (!spline)
                        p.Line($"{m}.scale = nn.Parameter(torch.ones(({I(D)},)))");
                    p.Line($"# {layer.Name}'s MADE masks M_0 … M_{I(layer.Spec.HiddenLayers)} as buffers that are not in the state_dict (the checkpoint names stay GenDsl's);");
                    p.Line("# the weights start as torch.nn.Linear's, then multiplied by their mask, as in GenDsl");
                    string perFeature = spline ? $", per_feature={I(layer.SplineParameters)}" : "";
                    p.Line($"for linear, mask in zip({m}.net, _made_masks({I(D)}, {I(K)}, {I(layer.Spec.Hidden)}, {I(layer.Spec.HiddenLayers)}{perFeature})):");
                    p.Line("    linear.register_buffer(\"mask\", mask, persistent=False)");
                    p.Line("    with torch.no_grad():");
                    p.Line("        linear.weight.mul_(mask)");
                    if (spline && plan.Spec.IdentityInit)
                    {
                        // FlowInitialization.Identity: the output layer's weight and bias start at zero (its declaration); the derivative entries of every θ_i
                        string output = NodeModule(layer.Network!.Emitting.Last());
                        int bins = layer.Bins, P = layer.SplineParameters;
                        p.Line($"# the output bias's derivative entries of every θ_i (columns i·{I(P)} + {I(2 * bins)} … i·{I(P)} + {I(P - 1)}) at ln(e^(1 − m_d) − 1), so that every δ = 1:");
                        p.Line("# with the zero output weight every feature's spline starts as the identity, as in GenDsl");
                        p.Line("with torch.no_grad():");
                        p.Line($"    {output}.bias.view({I(D)}, {I(P)})[:, {I(2 * bins)}:].fill_(math.log(math.expm1(1 - _MIN_DERIVATIVE)))");
                    }
                    break;
                }
                case LayerKind.ActNorm: // per feature, or per channel in an image flow
                {
                    int width = layer.IsImageActNorm ? layer.InputShape[0] : D;
                    p.Line($"{m}.logscale = nn.Parameter(torch.zeros(({I(width)},)))");
                    p.Line($"{m}.bias = nn.Parameter(torch.zeros(({I(width)},)))");
                    break;
                }
                case LayerKind.InvertibleLinear:
                case LayerKind.InvertibleConv1x1: // over the features, or over the channels at every pixel
                {
                    int width = layer.Kind == LayerKind.InvertibleConv1x1 ? layer.InputShape[0] : D;
                    p.Line($"{m}.lower = nn.Parameter(torch.zeros(({I(width)}, {I(width)})))");
                    p.Line($"{m}.upper = nn.Parameter(torch.zeros(({I(width)}, {I(width)})))");
                    p.Line($"{m}.logs = nn.Parameter(torch.zeros(({I(width)},)))");
                    break;
                }
                case LayerKind.Squeeze:
                case LayerKind.Split:
                    break; // no parameters
                default: // a layer kind without PyTorch code yet: its tensors still load (its forward raises)
                    foreach (var (tensorName, _, shape) in layer.Tensors)
                    {
                        var parts = tensorName.Split('.');
                        p.Line($"setattr({PyModule(parts.Take(parts.Length - 1).ToArray())}, {PyStr(parts[parts.Length - 1])}, nn.Parameter(torch.zeros(({Lit.Ints(shape)}{(shape.Length == 1 ? "," : "")}))))");
                    }
                    break;
            }
        }
        if (plan.HasActNorm)
            p.Line("self.actnorm_initialized = False  # set by the first loss() (data-dependent init) or by loading weights");
        p.Unindent();
        var made = plan.Layers.Where(l => l.Kind == LayerKind.MaskedAutoregressive).ToList();
        CheckpointMethods(p, spec.ClassName, plan.HasActNorm, made.Count > 0);
        if (made.Count > 0)
        {
            p.Line();
            p.Line("def apply_masks(self):");
            p.Line("    # Sets every masked-out MADE weight to exactly 0 (GenDsl's ApplyMasks). The forward reads weight ⊙ mask anyway, so");
            p.Line("    # this only keeps the saved weights equal to GenDsl's; their gradients are 0, so training never moves them.");
            p.Line("    with torch.no_grad():");
            foreach (var layer in made)
            {
                p.Line($"        for linear in {PyModule(new[] { layer.Name, "net" })}:");
                p.Line("            linear.weight.mul_(linear.mask)");
            }
        }

        // Inputs.
        p.Line();
        p.Line("def _inputs(self, x, y):");
        p.Line("    x = self._like(x)");
        if (cond)
        {
            p.Line("    if y is None:");
            p.Line($"        raise ValueError(\"{spec.ClassName} is conditional: pass y, one row of {K} values per example\")");
            p.Line("    return x, self._like(y)");
        }
        else
            p.Line("    return x, None");

        // Coupling networks.
        foreach (var layer in plan.Layers.Where(l => l.Network is not null && l.Kind != LayerKind.MaskedAutoregressive))
            NetworkMethod(p, $"_{layer.Name}_net", layer.Network!, layer.ConvCoupling
                ? $"{layer.Name}'s convolutional network on [{(layer.Checkerboard ? "u ⊙ b" : "u_K")}{(!cond ? "" : plan.Spec.ConditionImage.IsSet ? $", y resized to {I(layer.InputShape[1])}×{I(layer.InputShape[2])}" : ", y as constant channels")}]"
                : $"{layer.Name}'s network on [x_K{(cond ? ", y" : "")}]");
        // Masked autoregressive networks.
        foreach (var layer in plan.Layers.Where(l => l.Kind == LayerKind.MaskedAutoregressive))
            MadeMethods(p, plan, layer);

        // Data → latent.
        p.Line();
        p.Line("def _to_latent(self, u, y, init):");
        p.Indent();
        p.Line("ld = u.new_zeros(u.shape[0])");
        var splits = new List<string>();
        foreach (var layer in plan.Layers)
        {
            if (layer.Kind == LayerKind.Split)
            {
                p.Line($"# {layer.Name}: split of [{Lit.Ints(layer.InputShape)}]: channels {layer.OutputShape[0]} … {layer.InputShape[0] - 1} (features {I(layer.OutWidth)} … {I(layer.Width - 1)}) go to the latent");
                p.Line($"# at their places; the later layers act on features 0 … {I(layer.OutWidth - 1)}, [{Lit.Ints(layer.OutputShape)}]. ln|det| += 0");
                p.Line($"z_{layer.Name} = u[:, {I(layer.OutWidth)}:]");
                p.Line($"u = u[:, :{I(layer.OutWidth)}]");
                splits.Insert(0, $"z_{layer.Name}");
            }
            else
                FlowLayerForward(p, plan, layer);
        }
        if (splits.Count > 0)
        {
            p.Line("# the latent row: the last layer's output, then the split channels at their places (the last split's first)");
            p.Line($"u = torch.cat([u, {string.Join(", ", splits)}], 1)");
        }
        p.Line("return u, ld");
        p.Unindent();

        // Latent → data.
        p.Line();
        p.Line("def _to_data(self, v, y):");
        p.Indent();
        if (plan.HasSplit)
        {
            p.Line($"# z = [the last layer's output | each split's channels at their places]: the inverses start from its first {I(plan.LatentWidth)} features");
            p.Line("z = v");
            p.Line($"v = z[:, :{I(plan.LatentWidth)}]");
        }
        for (int i = plan.Layers.Count - 1; i >= 0; i--)
        {
            var layer = plan.Layers[i];
            if (layer.Kind == LayerKind.Split)
            {
                p.Line($"# {layer.Name}: its channels (features {I(layer.OutWidth)} … {I(layer.Width - 1)}) come back from z");
                p.Line($"v = torch.cat([v, z[:, {I(layer.OutWidth)}:{I(layer.Width)}]], 1)");
            }
            else
                FlowLayerInverse(p, plan, layer);
        }
        p.Line("return v");
        p.Unindent();

        string yArg = cond ? "y" : "y=None";
        p.Line();
        p.Line($"def forward(self, x, {yArg}):");
        p.Line("    # data → latent: (z, ln|det J_h(x)|) per row; ToLatent in GenDsl");
        p.Line("    x, y = self._inputs(x, y)");
        p.Line("    return self._to_latent(x, y, False)");
        p.Line();
        p.Line($"def inverse(self, z, {yArg}):");
        p.Line("    # latent → data (the generative direction); FromLatent in GenDsl");
        p.Line("    z, y = self._inputs(z, y)");
        p.Line("    return self._to_data(z, y)");
        p.Line();
        p.Line($"def log_prob(self, x, {yArg}):");
        p.Line("    # exact ln p(x) in nats per row; LogProb in GenDsl");
        p.Line("    z, ld = self.forward(x, y)");
        p.Line($"    return -0.5 * (z * z).sum(1) - {I(D)} * _HALF_LOG_2PI + ld");
        p.Line();
        p.Line($"def loss(self, x, {yArg}):");
        p.Line("    # the mean negative log-likelihood GenDsl's TrainStep minimises (Backward's return value)");
        p.Line("    x, y = self._inputs(x, y)");
        if (plan.HasActNorm)
        {
            p.Line("    z, ld = self._to_latent(x, y, not self.actnorm_initialized)");
            p.Line("    self.actnorm_initialized = True");
        }
        else
            p.Line("    z, ld = self._to_latent(x, y, False)");
        p.Line($"    return (0.5 * (z * z).sum(1) + {I(D)} * _HALF_LOG_2PI - ld).mean()");
        p.Line();
        p.Line($"def sample(self, n, {(cond ? "y" : "y=None")}, generator=None):");
        p.Line("    # n rows x = f(z), z ~ N(0, I)");
        p.Line("    ref = next(self.parameters())");
        p.Line($"    z = torch.randn(n, {I(D)}, generator=generator, dtype=ref.dtype, device=ref.device)");
        p.Line("    return self.inverse(z, y)");
        Footer(p, spec.ClassName, cond
            ? $"print(model.sample(4, torch.zeros(4, {I(K)})))"
            : "print(model.sample(4))");
        return p.ToString();
    }

    /// <summary>
    /// def _{n}_net(self, a): the MADE network, each linear layer reading weight ⊙ mask (so a masked-out weight has a zero
    /// gradient, as in GenDsl); def _{n}_scale_shift(self, a, y): s = scale ⊙ tanh(r) and m from one pass on [a, y]
    /// (affine transform), or def _{n}_theta(self, a, y): θ [rows, D, P] from one pass (spline transform).
    /// </summary>
    private static void MadeMethods(SourceWriter p, FlowPlan plan, LayerPlan layer)
    {
        int D = plan.Features;
        bool cond = plan.Condition > 0;
        var net = layer.Network!;
        p.Line();
        p.Line($"def _{layer.Name}_net(self, h):");
        p.Indent();
        bool spline = layer.Spec.IsSplineMade;
        p.Line($"# {layer.Name}'s MADE network on [{(layer.Spec.Inverse ? "v" : "u")}{(cond ? ", y" : "")}]: {NetworkEmitter.Widths(net)}, o = {(spline ? "[θ_0 | … | θ_(D−1)]" : "[r | m]")}; every weight is read through its mask");
        foreach (var node in net.Emitting)
        {
            string module = NodeModule(node);
            p.Line($"h = {Op.PyActivation(node.Activation, $"F.linear(h, {module}.weight * {module}.mask, {module}.bias)")}  # {node.Describe()}");
        }
        p.Line("return h");
        p.Unindent();
        p.Line();
        if (spline)
        {
            p.Line($"def _{layer.Name}_theta(self, a, y):");
            p.Indent();
            p.Line($"# θ [rows, {I(D)}, {I(layer.SplineParameters)}] from one pass of the network on [a{(cond ? ", y" : "")}]: θ_i = o[:, i·P … i·P + P − 1] ({layer.Bins} widths, {layer.Bins} heights,");
            p.Line($"# {layer.Bins - 1} derivatives), which depends on a_0 … a_(i−1) only");
            p.Line($"return self._{layer.Name}_net({(cond ? "torch.cat([a, y], 1)" : "a")}).reshape(-1, {I(D)}, {I(layer.SplineParameters)})");
            p.Unindent();
            return;
        }
        p.Line($"def _{layer.Name}_scale_shift(self, a, y):");
        p.Indent();
        p.Line($"# s = scale ⊙ tanh(r) and m from one pass of the network on [a{(cond ? ", y" : "")}]; (r_i, m_i) depend on a_0 … a_(i−1) only");
        p.Line($"o = self._{layer.Name}_net({(cond ? "torch.cat([a, y], 1)" : "a")})");
        p.Line($"return {PyModule(new[] { layer.Name })}.scale * torch.tanh(o[:, :{I(D)}]), o[:, {I(D)}:]");
        p.Unindent();
    }

    /// <summary>The columns of [x_K, x_T] back in feature order, or "" when they already are.</summary>
    private static string Reorder(LayerPlan layer)
    {
        var order = layer.Kept.Concat(layer.Transformed).ToArray();
        var position = new int[order.Length];
        for (int i = 0; i < order.Length; i++)
            position[order[i]] = i;
        return position.Select((v, i) => v == i).All(b => b) ? "" : $"[:, {PyInts(position)}]";
    }

    private static void CouplingOutputs(SourceWriter p, FlowPlan plan, LayerPlan layer, string source)
    {
        string kept = $"{source}[:, {PyInts(layer.Kept)}]";
        p.Line($"o = self._{layer.Name}_net({(plan.Condition > 0 ? $"torch.cat([{kept}, y], 1)" : kept)}, True)");
        int d2 = layer.Transformed.Length;
        if (layer.Kind == LayerKind.AffineCoupling)
        {
            p.Line($"s = {PyModule(new[] { layer.Name })}.scale * torch.tanh(o[:, :{I(d2)}])  # s = scale ⊙ tanh(r)");
            p.Line($"m = o[:, {I(d2)}:]");
        }
        else if (layer.Kind == LayerKind.SplineCoupling)
            p.Line($"theta = o.reshape(-1, {I(d2)}, {I(layer.SplineParameters)})  # transformed feature j's {layer.Bins} widths, {layer.Bins} heights, {layer.Bins - 1} derivatives");
        else
            p.Line("m = o");
    }

    private static void FlowLayerForward(SourceWriter p, FlowPlan plan, LayerPlan layer)
    {
        if (ImageLayer(p, plan, layer, inverse: false))
            return;
        string name = layer.Name, m = PyModule(new[] { name });
        switch (layer.Kind)
        {
            case LayerKind.AffineCoupling:
            case LayerKind.AdditiveCoupling:
            {
                bool affine = layer.Kind == LayerKind.AffineCoupling;
                p.Line($"# {name}: {(affine ? "affine" : "additive")} coupling, keeps {PyInts(layer.Kept)}, transforms {PyInts(layer.Transformed)}: v_T = {(affine ? "(u_T − m) ⊙ exp(−s); ln|det| −= Σ s" : "u_T − m")}");
                CouplingOutputs(p, plan, layer, "u");
                string t = $"u[:, {PyInts(layer.Transformed)}]";
                p.Line($"u = torch.cat([u[:, {PyInts(layer.Kept)}], {(affine ? $"({t} - m) * torch.exp(-s)" : $"{t} - m")}], 1){Reorder(layer)}");
                if (affine)
                    p.Line("ld = ld - s.sum(1)");
                break;
            }
            case LayerKind.SplineCoupling:
            {
                p.Line($"# {name}: rational-quadratic spline coupling ({layer.Bins} bins on [−B, B], B = {Op.PyFloat(layer.Spec.TailBound)}), keeps {PyInts(layer.Kept)}, transforms {PyInts(layer.Transformed)}: v_T = g(u_T; θ); ln|det| += Σ ln g′");
                CouplingOutputs(p, plan, layer, "u");
                p.Line($"t, logd = _rq_spline(u[:, {PyInts(layer.Transformed)}], theta, {I(layer.Bins)}, {Op.PyFloat(layer.Spec.TailBound)})");
                p.Line($"u = torch.cat([u[:, {PyInts(layer.Kept)}], t], 1){Reorder(layer)}");
                p.Line("ld = ld + logd.sum(1)");
                break;
            }
            case LayerKind.MaskedAutoregressive when layer.Spec.IsSplineMade && !layer.Spec.Inverse:
                p.Line($"# {name}: MAF spline ({layer.Bins} bins on [−B, B], B = {Op.PyFloat(layer.Spec.TailBound)}), v_i = g(u_i; θ_i) with θ from the MADE network on u: one pass; ln|det| += Σ ln g′");
                p.Line($"u, logd = _rq_spline(u, self._{name}_theta(u, y), {I(layer.Bins)}, {Op.PyFloat(layer.Spec.TailBound)})");
                p.Line("ld = ld + logd.sum(1)");
                break;
            case LayerKind.MaskedAutoregressive when layer.Spec.IsSplineMade:
                p.Line($"# {name}: IAF spline ({layer.Bins} bins on [−B, B], B = {Op.PyFloat(layer.Spec.TailBound)}), v_i = g(u_i; θ_i) with θ from the MADE network on v: {I(plan.Features)} passes,");
                p.Line("# as in GenDsl; the v_i not found yet start at 0, and pass k makes v_0 … v_(k−1) exact (θ_i needs v_0 … v_(i−1));");
                p.Line("# the last pass's ln g′ is exact in every column. ln|det| += Σ ln g′");
                p.Line("v = torch.zeros_like(u)");
                p.Line($"for _ in range({I(plan.Features)}):");
                p.Line($"    v, logd = _rq_spline(u, self._{name}_theta(v, y), {I(layer.Bins)}, {Op.PyFloat(layer.Spec.TailBound)})");
                p.Line("u = v");
                p.Line("ld = ld + logd.sum(1)");
                break;
            case LayerKind.MaskedAutoregressive when !layer.Spec.Inverse:
                p.Line($"# {name}: MAF, v = (u − m) ⊙ exp(−s) with (s, m) from the MADE network on u: one pass; ln|det| −= Σ s");
                p.Line($"s, m = self._{name}_scale_shift(u, y)");
                p.Line("u = (u - m) * torch.exp(-s)");
                p.Line("ld = ld - s.sum(1)");
                break;
            case LayerKind.MaskedAutoregressive:
                p.Line($"# {name}: IAF, v = (u − m) ⊙ exp(−s) with (s, m) from the MADE network on v: {I(plan.Features)} passes, as in GenDsl; the v_i not found");
                p.Line("# yet start at 0, and pass k makes v_0 … v_(k−1) exact (v_i needs v_0 … v_(i−1)); the last pass's s is exact. ln|det| −= Σ s");
                p.Line("v = torch.zeros_like(u)");
                p.Line($"for _ in range({I(plan.Features)}):");
                p.Line($"    s, m = self._{name}_scale_shift(v, y)");
                p.Line("    v = (u - m) * torch.exp(-s)");
                p.Line("u = v");
                p.Line("ld = ld - s.sum(1)");
                break;
            case LayerKind.Permute:
                p.Line($"# {name}: permutation v[:, j] = u[:, π[j]]");
                p.Line($"u = u[:, {PyInts(layer.Order)}]");
                break;
            case LayerKind.ActNorm:
                p.Line($"# {name}: ActNorm v = u ⊙ exp(ls) + b; ln|det| += Σ ls");
                p.Line("if init:");
                p.Line($"    _actnorm_init({m}, u)");
                p.Line($"u = u * torch.exp({m}.logscale) + {m}.bias");
                p.Line($"ld = ld + {m}.logscale.sum()");
                break;
            case LayerKind.InvertibleLinear:
                p.Line($"# {name}: invertible linear v = u · Wᵀ, W = P·L·(U + diag(exp(logs))); ln|det| += Σ logs");
                p.Line($"u = u @ _lu_weight({m}, {PyInts(layer.Order)}).t()");
                p.Line($"ld = ld + {m}.logs.sum()");
                break;
            default: // a layer kind without PyTorch code yet
                p.Line($"raise NotImplementedError({PyStr($"{name} ({layer.Kind}) has no PyTorch export yet")})");
                break;
        }
    }

    private static void FlowLayerInverse(SourceWriter p, FlowPlan plan, LayerPlan layer)
    {
        if (ImageLayer(p, plan, layer, inverse: true))
            return;
        string name = layer.Name, m = PyModule(new[] { name });
        switch (layer.Kind)
        {
            case LayerKind.AffineCoupling:
            case LayerKind.AdditiveCoupling:
            {
                bool affine = layer.Kind == LayerKind.AffineCoupling;
                p.Line($"# {name}: u_K = v_K; u_T = {(affine ? "v_T ⊙ exp(s) + m" : "v_T + m")}");
                CouplingOutputs(p, plan, layer, "v");
                string t = $"v[:, {PyInts(layer.Transformed)}]";
                p.Line($"v = torch.cat([v[:, {PyInts(layer.Kept)}], {(affine ? $"{t} * torch.exp(s) + m" : $"{t} + m")}], 1){Reorder(layer)}");
                break;
            }
            case LayerKind.SplineCoupling:
                p.Line($"# {name}: u_K = v_K; u_T = g⁻¹(v_T; θ), θ from the network on v_K");
                CouplingOutputs(p, plan, layer, "v");
                p.Line($"v = torch.cat([v[:, {PyInts(layer.Kept)}], _rq_spline_inverse(v[:, {PyInts(layer.Transformed)}], theta, {I(layer.Bins)}, {Op.PyFloat(layer.Spec.TailBound)})], 1){Reorder(layer)}");
                break;
            case LayerKind.MaskedAutoregressive when layer.Spec.IsSplineMade && layer.Spec.Inverse:
                p.Line($"# {name}: IAF spline, u_i = g⁻¹(v_i; θ_i) with θ from the MADE network on v: one pass");
                p.Line($"v = _rq_spline_inverse(v, self._{name}_theta(v, y), {I(layer.Bins)}, {Op.PyFloat(layer.Spec.TailBound)})");
                break;
            case LayerKind.MaskedAutoregressive when layer.Spec.IsSplineMade:
                p.Line($"# {name}: MAF spline, u_i = g⁻¹(v_i; θ_i) with θ from the MADE network on u: {I(plan.Features)} passes, as in GenDsl; the u_i not");
                p.Line("# found yet start at 0, and pass k makes u_0 … u_(k−1) exact (θ_i needs u_0 … u_(i−1))");
                p.Line("u = torch.zeros_like(v)");
                p.Line($"for _ in range({I(plan.Features)}):");
                p.Line($"    u = _rq_spline_inverse(v, self._{name}_theta(u, y), {I(layer.Bins)}, {Op.PyFloat(layer.Spec.TailBound)})");
                p.Line("v = u");
                break;
            case LayerKind.MaskedAutoregressive when layer.Spec.Inverse:
                p.Line($"# {name}: IAF, u = v ⊙ exp(s) + m with (s, m) from the MADE network on v: one pass");
                p.Line($"s, m = self._{name}_scale_shift(v, y)");
                p.Line("v = v * torch.exp(s) + m");
                break;
            case LayerKind.MaskedAutoregressive:
                p.Line($"# {name}: MAF, u = v ⊙ exp(s) + m with (s, m) from the MADE network on u: {I(plan.Features)} passes, as in GenDsl; the u_i not");
                p.Line("# found yet start at 0, and pass k makes u_0 … u_(k−1) exact (u_i needs u_0 … u_(i−1))");
                p.Line("u = torch.zeros_like(v)");
                p.Line($"for _ in range({I(plan.Features)}):");
                p.Line($"    s, m = self._{name}_scale_shift(u, y)");
                p.Line("    u = v * torch.exp(s) + m");
                p.Line("v = u");
                break;
            case LayerKind.Permute:
            {
                var inverse = new int[layer.Order.Length];
                for (int j = 0; j < inverse.Length; j++)
                    inverse[layer.Order[j]] = j;
                p.Line($"# {name}: u[:, π[j]] = v[:, j]");
                p.Line($"v = v[:, {PyInts(inverse)}]");
                break;
            }
            case LayerKind.ActNorm:
                p.Line($"# {name}: u = (v − b) ⊙ exp(−ls)");
                p.Line($"v = (v - {m}.bias) * torch.exp(-{m}.logscale)");
                break;
            case LayerKind.InvertibleLinear:
                p.Line($"# {name}: u = v · W⁻ᵀ");
                p.Line($"v = torch.linalg.solve(_lu_weight({m}, {PyInts(layer.Order)}), v.t()).t()");
                break;
            default:
                p.Line($"raise NotImplementedError({PyStr($"{name} ({layer.Kind}) has no PyTorch export yet")})");
                break;
        }
    }

    /// <summary>
    /// The layers of an image flow that act on the rows as images (docs/flow-layers.md, "Image flows"), data → latent (u, with
    /// ln|det| in ld) or latent → data (v): a squeeze, a per-channel ActNorm, an invertible 1×1 convolution or a convolutional
    /// coupling. False for any other layer (a [Split] is written by the callers, which keep z).
    /// </summary>
    private static bool ImageLayer(SourceWriter p, FlowPlan plan, LayerPlan layer, bool inverse)
    {
        string name = layer.Name, m = PyModule(new[] { name });
        if (layer.ConvCoupling)
        {
            ConvCoupling(p, plan, layer, inverse);
            return true;
        }
        if (layer.Kind == LayerKind.Squeeze)
        {
            Squeeze(p, layer, inverse);
            return true;
        }
        if (!layer.IsImageActNorm && layer.Kind != LayerKind.InvertibleConv1x1)
            return false;
        int C = layer.InputShape[0], P = layer.InputShape[1] * layer.InputShape[2];
        string shape = $"[{Lit.Ints(layer.InputShape)}]", rows = $"reshape(-1, {I(C)}, {I(P)})", flat = $"reshape(-1, {I(layer.Width)})";
        if (layer.IsImageActNorm && !inverse)
        {
            p.Line($"# {name}: ActNorm per channel of {shape}: v[c, p] = u[c, p]·exp(ls_c) + b_c; ln|det| += {I(P)}·Σ ls");
            p.Line($"x = u.{rows}  # [rows, channels, pixels]");
            p.Line("if init:");
            p.Line($"    _actnorm_init({m}, x.transpose(1, 2).reshape(-1, {I(C)}))  # channel c's statistics over every row and pixel");
            p.Line($"u = (x * torch.exp({m}.logscale)[:, None] + {m}.bias[:, None]).{flat}");
            p.Line($"ld = ld + {I(P)} * {m}.logscale.sum()");
        }
        else if (layer.IsImageActNorm)
        {
            p.Line($"# {name}: u[c, p] = (v[c, p] − b_c)·exp(−ls_c)");
            p.Line($"v = ((v.{rows} - {m}.bias[:, None]) * torch.exp(-{m}.logscale)[:, None]).{flat}");
        }
        else if (!inverse)
        {
            p.Line($"# {name}: invertible 1×1 convolution on {shape}, v = W·u at every pixel, W = P·L·(U + diag(exp(logs))) over the channels; ln|det| += {I(P)}·Σ logs");
            p.Line($"u = (_lu_weight({m}, {PyInts(layer.Order)}) @ u.{rows}).{flat}");
            p.Line($"ld = ld + {I(P)} * {m}.logs.sum()");
        }
        else
        {
            p.Line($"# {name}: u = W⁻¹·v at every pixel");
            p.Line($"v = torch.linalg.solve(_lu_weight({m}, {PyInts(layer.Order)}), v.{rows}).{flat}");
        }
        return true;
    }

    /// <summary>
    /// [Squeeze] data → latent: torch's view(B, C, H/2, 2, W/2, 2).permute(0, 1, 3, 5, 2, 4) as a flat row of [4C, H/2, W/2];
    /// latent → data: the inverse permutation of the axes.
    /// </summary>
    private static void Squeeze(SourceWriter p, LayerPlan layer, bool inverse)
    {
        int C = layer.InputShape[0], H = layer.InputShape[1], W = layer.InputShape[2];
        string shape = $"[{Lit.Ints(layer.InputShape)}] → [{Lit.Ints(layer.OutputShape)}]";
        if (inverse)
        {
            p.Line($"# {layer.Name}: the squeeze {shape} undone (channel 4c + 2i + j at (h, w) back to channel c at (2h + i, 2w + j))");
            p.Line($"v = v.reshape(-1, {I(C)}, 2, 2, {I(H / 2)}, {I(W / 2)}).permute(0, 1, 4, 2, 5, 3).reshape(-1, {I(layer.Width)})");
        }
        else
        {
            p.Line($"# {layer.Name}: 2×2 squeeze {shape}: output channel 4c + 2i + j at (h, w) is channel c at (2h + i, 2w + j)");
            p.Line($"u = u.reshape(-1, {I(C)}, {I(H / 2)}, 2, {I(W / 2)}, 2).permute(0, 1, 3, 5, 2, 4).reshape(-1, {I(layer.Width)})");
        }
    }

    /// <summary>
    /// A convolutional coupling (docs/flow-layers.md, "Convolutional couplings") in either direction, on the rows viewed as
    /// images x [rows, C, H, W]: the network reads the kept channels (or x ⊙ b for a checkerboard) and, in a conditional flow,
    /// y as constant channels; its output o [rows, heads·T_c, H, W] is [r | m] (or m) per head channel.
    /// </summary>
    private static void ConvCoupling(SourceWriter p, FlowPlan plan, LayerPlan layer, bool inverse)
    {
        bool affine = layer.Kind == LayerKind.AffineCoupling;
        string name = layer.Name, module = PyModule(new[] { name }), src = inverse ? "v" : "u";
        int C = layer.InputShape[0], H = layer.InputShape[1], W = layer.InputShape[2], P = H * W, T = layer.HeadChannels;
        string map = inverse
            ? affine ? "u_T = v_T ⊙ exp(s) + m (s, m from v_K = u_K)" : "u_T = v_T + m (m from v_K = u_K)"
            : affine ? "v_T = (u_T − m) ⊙ exp(−s), s = scale[channel] ⊙ tanh(r); ln|det| −= Σ s" : "v_T = u_T − m";
        string input, kept = "", transformed = "";
        bool keptFirst = false;
        if (layer.Checkerboard)
        {
            int parity = layer.Spec.Mask == FlowMath.MaskCheckerboardEven ? 0 : 1;
            p.Line($"# {name}: {(affine ? "affine" : "additive")} coupling on [{Lit.Ints(layer.InputShape)}], checkerboard: keeps the pixels with h + w {(parity == 0 ? "even" : "odd")} of every channel,");
            p.Line($"# the network reads x ⊙ b (the transformed pixels zeroed) and is read at the transformed pixels: {map}");
            p.Line($"x = {src}.reshape(-1, {I(C)}, {I(H)}, {I(W)})");
            p.Line($"b = _checkerboard({I(H)}, {I(W)}, {I(parity)}, x)  # the kept pixels");
            input = "x * b";
        }
        else
        {
            int k0 = layer.Kept[0] / P, k1 = layer.Kept[layer.Kept.Length - 1] / P + 1;
            int t0 = layer.Transformed[0] / P, t1 = layer.Transformed[layer.Transformed.Length - 1] / P + 1;
            keptFirst = k0 == 0;
            kept = $"x[:, {I(k0)}:{I(k1)}]";
            transformed = $"x[:, {I(t0)}:{I(t1)}]";
            p.Line($"# {name}: {(affine ? "affine" : "additive")} coupling on [{Lit.Ints(layer.InputShape)}], keeps channels {I(k0)} … {I(k1 - 1)}, transforms {I(t0)} … {I(t1 - 1)}: {map}");
            p.Line($"x = {src}.reshape(-1, {I(C)}, {I(H)}, {I(W)})");
            input = kept;
        }
        if (plan.Condition > 0 && plan.Spec.ConditionImage.IsSet) // y as an image, resized to this coupling's H × W (GenDsl's ConditionKernels.Resize)
            input = $"torch.cat([{input}, F.adaptive_avg_pool2d(y.reshape(-1, {I(plan.Spec.ConditionImage.Channels)}, {I(plan.Spec.ConditionImage.Height)}, {I(plan.Spec.ConditionImage.Width)}), ({I(H)}, {I(W)}))], 1)";
        else if (plan.Condition > 0)
            input = $"torch.cat([{input}, y[:, :, None, None].expand(-1, -1, {I(H)}, {I(W)})], 1)";
        p.Line($"o = self._{name}_net({input}, True).reshape(-1, {I((affine ? 2 : 1) * T)}, {I(H)}, {I(W)})");
        if (affine)
        {
            p.Line($"s = {module}.scale[:, None, None] * torch.tanh(o[:, :{I(T)}])  # s = scale ⊙ tanh(r), one scale per head channel");
            p.Line($"m = o[:, {I(T)}:]");
        }
        else
            p.Line("m = o");
        string t = layer.Checkerboard ? "x" : transformed;
        string result = inverse
            ? affine ? $"{t} * torch.exp(s) + m" : $"{t} + m"
            : affine ? $"({t} - m) * torch.exp(-s)" : $"{t} - m";
        if (layer.Checkerboard)
        {
            p.Line($"x = torch.where(b, x, {result})");
            if (affine && !inverse)
                p.Line("ld = ld - torch.where(b, torch.zeros_like(s), s).sum((1, 2, 3))");
        }
        else
        {
            p.Line(keptFirst ? $"x = torch.cat([{kept}, {result}], 1)" : $"x = torch.cat([{result}, {kept}], 1)");
            if (affine && !inverse)
                p.Line("ld = ld - s.sum((1, 2, 3))");
        }
        p.Line($"{src} = x.reshape(-1, {I(layer.Width)})");
    }

    // ============================================================================ VAEs and GANs

    private static string NetPython(NetModelPlan plan)
    {
        var spec = plan.Spec;
        bool vae = spec.Kind == NetKind.Vae;
        int D = plan.D, Z = plan.Z, K = plan.K;
        bool cond = K > 0;
        var p = new SourceWriter();
        p.Line($"# Generated by GenDsl from the [{(vae ? "Vae" : "Gan")}] declaration of {spec.FullName}: a torch.nn.Module that computes");
        p.Line("# exactly what the generated C# computes. Do not edit: change the declaration instead.");
        p.Line("# Its state_dict names are the checkpoint names; load_safetensors/save_safetensors exchange weights with GenDsl.");
        foreach (var line in Preamble.Replace("\r\n", "\n").Split('\n'))
            p.Line(line);

        string shape = spec.HasImageShape ? $"{spec.Channels}×{spec.Height}×{spec.Width} images as rows of {D} values (channel-major)" : $"rows of {D} features";
        string doc = vae
            ? $"VAE on {shape}, latent {Z}{(cond ? $", condition y of {K} values" : "")}; {new[] { "Bernoulli (logits)", "Gaussian with learned variance", "Gaussian with fixed σ" }[spec.Likelihood]} likelihood, β = {Op.PyFloat(spec.Beta)}.\n"
              + "loss(x, eps) = mean over rows of rec + β·KL with z = μ + exp(½ ln σ²) ⊙ eps (eps ~ N(0, I) unless given): GenDsl's TrainStep loss.\n"
              + "Batch norms use batch statistics in loss() (as TrainStep) and otherwise follow self.training (GenDsl's Training)."
            : $"GAN on {shape}, noise {Z}{(cond ? $", condition y of {K} values" : "")}; {new[] { "non-saturating", "minimax", "hinge", "Wasserstein (WGAN-GP)" }[spec.Loss]} loss on the discriminator's logits.\n"
              + "discriminator_loss(real, z) and generator_loss(z) are the two losses of GenDsl's TrainStep (z₁ for the first, a fresh z₂ for the second).\n"
              + "Batch norms use batch statistics in the losses (as TrainStep) and otherwise follow self.training (GenDsl's Training).";
        var constants = new List<(string, string)> { ("FEATURES", I(D)), (vae ? "LATENT" : "NOISE", I(Z)), ("CONDITION", I(K)) };
        if (spec.HasImageShape)
            constants.Add(("IMAGE", $"({I(spec.Channels)}, {I(spec.Height)}, {I(spec.Width)})"));
        if (vae)
        {
            constants.Add(("BETA", Op.PyFloat(spec.Beta)));
            if (spec.Likelihood == 2)
                constants.Add(("SIGMA", Op.PyFloat(spec.Sigma)));
        }
        else if (plan.Wasserstein)
            constants.Add(("GRADIENT_PENALTY", Op.PyFloat(spec.GradientPenalty)));
        ClassHead(p, spec.ClassName, spec.FullName, plan.DeclarationHash, doc, plan.Layout, constants);
        Declarations(p, plan.A);
        Declarations(p, plan.B);
        p.Unindent();
        CheckpointMethods(p, spec.ClassName, actNorm: false);

        p.Line();
        p.Line("def _cond(self, y):");
        if (cond)
        {
            p.Line("    if y is None:");
            p.Line($"        raise ValueError(\"{spec.ClassName} is conditional: pass y, one row of {K} values per example\")");
            p.Line("    return self._like(y)");
        }
        else
            p.Line("    return None");
        p.Line();
        p.Line("def _data_in(self, x, y):");
        p.Line($"    # the input of the {(vae ? "encoder" : "discriminator")}: {(cond ? spec.ConditionImage.IsSet ? $"the image, then the condition image [{spec.ConditionImage.Channels}, {spec.ConditionImage.Height}, {spec.ConditionImage.Width}] resized to {spec.Height}×{spec.Width} (adaptive average pooling) from channel {spec.Channels} on" : plan.ConditionAsChannels ? $"the image with y_k as constant channel {spec.Channels} + k" : "[x, y]" : "x")}");
        if (!cond)
            p.Line("    return x");
        else if (spec.ConditionImage.IsSet)
            p.Line($"    return torch.cat([x.reshape(-1, {I(spec.Channels)}, {I(spec.Height)}, {I(spec.Width)}), F.adaptive_avg_pool2d(y.reshape(-1, {I(spec.ConditionImage.Channels)}, {I(spec.ConditionImage.Height)}, {I(spec.ConditionImage.Width)}), ({I(spec.Height)}, {I(spec.Width)}))], 1)");
        else if (plan.ConditionAsChannels)
            p.Line($"    return torch.cat([x.reshape(-1, {I(spec.Channels)}, {I(spec.Height)}, {I(spec.Width)}), y[:, :, None, None].expand(-1, -1, {I(spec.Height)}, {I(spec.Width)})], 1)");
        else
            p.Line("    return torch.cat([x, y], 1)");
        p.Line();
        p.Line("def _latent_in(self, z, y):");
        p.Line($"    # the input of the {(vae ? "decoder" : "generator")}: {(cond ? "[z, y]" : "z")}");
        p.Line(cond ? "    return torch.cat([z, y], 1)" : "    return z");

        NetworkMethod(p, vae ? "_encoder" : "_generator", plan.A, vae ? "encoder → [μ, ln σ²]" : "generator → x");
        NetworkMethod(p, vae ? "_decoder" : "_discriminator", plan.B, vae ? "decoder → the likelihood's parameters" : "discriminator → logit");

        string yArg = cond ? "y" : "y=None";
        if (vae)
            VaeMethods(p, plan, yArg);
        else
            GanMethods(p, plan, yArg);
        string y4 = cond ? $", torch.zeros(4, {I(K)})" : "";
        Footer(p, spec.ClassName, $"print(model.sample(4{y4}).shape)");
        return p.ToString();
    }

    private static void VaeMethods(SourceWriter p, NetModelPlan plan, string yArg)
    {
        int D = plan.D, Z = plan.Z;
        int lk = plan.Spec.Likelihood;
        p.Line();
        p.Line("def _head(self, x, y, training):");
        p.Line("    h = self._encoder(self._data_in(x, y), training)");
        p.Line($"    return h[:, :{I(Z)}], h[:, {I(Z)}:]");
        p.Line();
        p.Line($"def encode(self, x, {yArg}):");
        p.Line("    # q(z|x): (μ, ln σ²) per row; Encode in GenDsl");
        p.Line("    x, y = self._like(x), self._cond(y)");
        p.Line("    return self._head(x, y, self.training)");
        p.Line();
        p.Line("def _mean(self, o):");
        p.Line(lk switch
        {
            0 => "    return torch.sigmoid(o)  # Bernoulli probabilities",
            1 => $"    return o[:, :{I(D)}]  # the Gaussian's mean",
            _ => "    return o",
        });
        p.Line();
        p.Line($"def decode(self, z, {yArg}):");
        p.Line("    # the decoder's mean E[x|z] per row; Decode in GenDsl");
        p.Line("    z, y = self._like(z), self._cond(y)");
        p.Line("    return self._mean(self._decoder(self._latent_in(z, y), self.training))");
        p.Line();
        p.Line($"def reconstruct(self, x, {yArg}):");
        p.Line("    # x → μ(x) → decoder mean; Reconstruct in GenDsl");
        p.Line("    x, y = self._like(x), self._cond(y)");
        p.Line("    mu, _ = self._head(x, y, self.training)");
        p.Line("    return self._mean(self._decoder(self._latent_in(mu, y), self.training))");
        p.Line();
        p.Line($"def sample(self, n, {(plan.K > 0 ? "y" : "y=None")}, generator=None):");
        p.Line("    ref = next(self.parameters())");
        p.Line($"    z = torch.randn(n, {I(Z)}, generator=generator, dtype=ref.dtype, device=ref.device)");
        p.Line("    return self.decode(z, y)");
        p.Line();
        p.Line("def _reconstruction(self, o, x):");
        p.Line("    # rec = −ln p(x|z) per row");
        switch (lk)
        {
            case 0:
                p.Line("    return (_softplus(o) - x * o).sum(1)  # Bernoulli on logits: Σ softplus(l) − x·l");
                break;
            case 1:
                p.Line($"    m, v = o[:, :{I(D)}], o[:, {I(D)}:]");
                p.Line("    return 0.5 * ((x - m) ** 2 * torch.exp(-v) + v).sum(1) + x.shape[1] * _HALF_LOG_2PI");
                break;
            default:
                p.Line("    return (0.5 * (x - o) ** 2 / (self.SIGMA * self.SIGMA) + math.log(self.SIGMA) + _HALF_LOG_2PI).sum(1)");
                break;
        }
        p.Line();
        p.Line("def _terms(self, x, y, eps, training):");
        p.Line("    # (rec, KL, z) per row with z = μ + σ ⊙ eps");
        p.Line("    mu, logvar = self._head(x, y, training)");
        p.Line("    eps = torch.randn_like(mu) if eps is None else self._like(eps)");
        p.Line("    z = mu + torch.exp(0.5 * logvar) * eps");
        p.Line("    rec = self._reconstruction(self._decoder(self._latent_in(z, y), training), x)");
        p.Line("    kl = 0.5 * (mu * mu + torch.exp(logvar) - logvar - 1).sum(1)");
        p.Line("    return rec, kl, z, mu, logvar, eps");
        p.Line();
        p.Line($"def loss_terms(self, x, {yArg}, eps=None):");
        p.Line("    # (loss, rec, KL) as batch means: GenDsl's VaeLoss(Loss, Reconstruction, Kl); batch statistics in batch norms");
        p.Line("    x, y = self._like(x), self._cond(y)");
        p.Line("    rec, kl = self._terms(x, y, eps, True)[:2]");
        p.Line("    return (rec + self.BETA * kl).mean(), rec.mean(), kl.mean()");
        p.Line();
        p.Line($"def loss(self, x, {yArg}, eps=None):");
        p.Line("    # the negative ELBO (β-weighted) GenDsl's TrainStep minimises; eps: the rows of ε (default: fresh normals)");
        p.Line("    return self.loss_terms(x, y, eps)[0]");
        p.Line();
        p.Line($"def elbo(self, x, {yArg}, eps=None):");
        p.Line("    # the ELBO per row (β = 1, one sample of z); Elbo in GenDsl");
        p.Line("    x, y = self._like(x), self._cond(y)");
        p.Line("    rec, kl = self._terms(x, y, eps, self.training)[:2]");
        p.Line("    return -(rec + kl)");
        p.Line();
        p.Line($"def log_prob(self, x, {yArg}, k=64, eps=None):");
        p.Line("    # the importance-weighted estimate of ln p(x) per row (IWAE, k samples; eps: [k, rows, latent]); ImportanceLogLikelihood in GenDsl");
        p.Line("    x, y = self._like(x), self._cond(y)");
        p.Line("    mu, logvar = self._head(x, y, self.training)");
        p.Line("    weights = []");
        p.Line("    for i in range(k):");
        p.Line("        e = torch.randn_like(mu) if eps is None else self._like(eps[i])");
        p.Line("        z = mu + torch.exp(0.5 * logvar) * e");
        p.Line("        rec = self._reconstruction(self._decoder(self._latent_in(z, y), self.training), x)");
        p.Line("        weights.append(-rec + 0.5 * (e * e - z * z + logvar).sum(1))");
        p.Line("    return torch.logsumexp(torch.stack(weights), 0) - math.log(k)");
    }

    private static void GanMethods(SourceWriter p, NetModelPlan plan, string yArg)
    {
        int Z = plan.Z;
        int loss = plan.Spec.Loss;
        p.Line();
        p.Line($"def generate(self, z, {yArg}):");
        p.Line("    # x = f(z) per row");
        p.Line("    z, y = self._like(z), self._cond(y)");
        p.Line("    return self._generator(self._latent_in(z, y), self.training)");
        p.Line();
        p.Line($"def sample(self, n, {(plan.K > 0 ? "y" : "y=None")}, generator=None):");
        p.Line("    ref = next(self.parameters())");
        p.Line($"    z = torch.randn(n, {I(Z)}, generator=generator, dtype=ref.dtype, device=ref.device)");
        p.Line("    return self.generate(z, y)");
        p.Line();
        p.Line($"def logits(self, x, {yArg}):");
        p.Line("    # the discriminator's logit per row");
        p.Line("    x, y = self._like(x), self._cond(y)");
        p.Line("    return self._discriminator(self._data_in(x, y), self.training)[:, 0]");
        p.Line();
        p.Line($"def discriminate(self, x, {yArg}):");
        p.Line("    # d(x) = σ(logit): the probability that each row is real; Discriminate in GenDsl");
        p.Line("    return torch.sigmoid(self.logits(x, y))");
        p.Line();
        p.Line($"def discriminator_loss(self, real, z, {yArg}{(plan.Wasserstein ? ", eps=None" : "")}):");
        p.Line("    # the discriminator step's loss on real rows and fakes f(z) (no gradient into the generator): real and fake rows");
        p.Line($"    # go through the discriminator as one batch of {(plan.Wasserstein ? "3" : "2")}·rows{(plan.Wasserstein ? " (with the interpolates x̂ = ε·x + (1 − ε)·f(z), eps ~ U(0, 1) per row)" : "")}, as in GenDsl's TrainStep");
        p.Line("    real, z, y = self._like(real), self._like(z), self._cond(y)");
        p.Line("    fake = self._generator(self._latent_in(z, y), True).detach()");
        p.Line("    rows = real.shape[0]");
        if (plan.Wasserstein)
        {
            p.Line("    eps = torch.rand(rows, dtype=real.dtype, device=real.device) if eps is None else self._like(eps)");
            p.Line("    xhat = (eps[:, None] * real + (1 - eps[:, None]) * fake).detach().requires_grad_(True)");
            p.Line("    parts = [real, fake, xhat]");
        }
        else
            p.Line("    parts = [real, fake]");
        p.Line(plan.K > 0
            ? "    logit = self._discriminator(torch.cat([self._data_in(t, y) for t in parts], 0), True)[:, 0]"
            : "    logit = self._discriminator(torch.cat(parts, 0), True)[:, 0]");
        p.Line("    lr, lf = logit[:rows], logit[rows:2 * rows]");
        switch (loss)
        {
            case 2:
                p.Line("    return (torch.relu(1 - lr) + torch.relu(1 + lf)).mean()  # hinge");
                break;
            case 3:
                p.Line("    # λ·(‖∇ₓD(x̂)‖ − 1)², the gradient taken over the data columns (not the condition), differentiable (create_graph)");
                p.Line("    grad = torch.autograd.grad(logit[2 * rows:].sum(), xhat, create_graph=True)[0]");
                p.Line("    norm = grad.flatten(1).norm(dim=1)");
                p.Line("    return (lf - lr).mean() + self.GRADIENT_PENALTY * ((norm - 1) ** 2).mean()");
                break;
            default:
                p.Line("    return (_softplus(-lr) + _softplus(lf)).mean()  # −ln σ(l_real) − ln(1 − σ(l_fake))");
                break;
        }
        p.Line();
        p.Line($"def generator_loss(self, z, {yArg}):");
        p.Line("    # the generator step's loss on f(z), through the discriminator (batch statistics, as in GenDsl's TrainStep)");
        p.Line("    z, y = self._like(z), self._cond(y)");
        p.Line("    fake = self._generator(self._latent_in(z, y), True)");
        p.Line("    logit = self._discriminator(self._data_in(fake, y), True)[:, 0]");
        p.Line(loss switch
        {
            0 => "    return _softplus(-logit).mean()  # non-saturating: −ln σ(l)",
            1 => "    return (-_softplus(logit)).mean()  # minimax: ln(1 − σ(l))",
            _ => "    return (-logit).mean()",
        });
    }

    // ============================================================================ regressors

    private static string RegressorPython(RegressorPlan plan)
    {
        var spec = plan.Spec;
        int D = plan.D, K = plan.K;
        var p = new SourceWriter();
        p.Line($"# Generated by GenDsl from the [Regressor] declaration of {spec.FullName}: a torch.nn.Module that computes");
        p.Line("# exactly what the generated C# computes. Do not edit: change the declaration instead.");
        p.Line("# Its state_dict names are the checkpoint names; load_safetensors/save_safetensors exchange weights with GenDsl.");
        foreach (var line in Preamble.Replace("\r\n", "\n").Split('\n'))
            p.Line(line);
        string shape = spec.HasImageShape ? $"{spec.Channels}×{spec.Height}×{spec.Width} images as rows of {D} values (channel-major)" : $"rows of {D} features";
        string input = spec.ConditionImage.IsSet ? $"an image y [{spec.ConditionImage.Channels}, {spec.ConditionImage.Height}, {spec.ConditionImage.Width}] read flat ({K} values)" : $"y of {K} values";
        string doc = $"Regressor x̂ = f(y) on {shape}, from {input}.\n"
            + "loss(x, y) = the mean over rows and columns of (f(y) − x)² (F.mse_loss): GenDsl's TrainStep loss.\n"
            + "Batch norms use batch statistics in loss() (as TrainStep) and otherwise follow self.training (GenDsl's Training).";
        var constants = new List<(string, string)> { ("FEATURES", I(D)), ("CONDITION", I(K)) };
        if (spec.HasImageShape)
            constants.Add(("IMAGE", $"({I(spec.Channels)}, {I(spec.Height)}, {I(spec.Width)})"));
        ClassHead(p, spec.ClassName, spec.FullName, plan.DeclarationHash, doc, plan.Layout, constants);
        Declarations(p, plan.Net);
        p.Unindent();
        CheckpointMethods(p, spec.ClassName, actNorm: false);
        NetworkMethod(p, "_predictor", plan.Net, "predictor → x̂");
        p.Line();
        p.Line("def predict(self, y):");
        p.Line("    # x̂ = f(y) per row; Predict in GenDsl");
        p.Line("    return self._predictor(self._like(y), self.training)");
        p.Line();
        p.Line("def forward(self, y):");
        p.Line("    return self.predict(y)");
        p.Line();
        p.Line("def loss(self, x, y):");
        p.Line("    # the mean squared error GenDsl's TrainStep minimises (batch statistics in batch norms)");
        p.Line("    x, y = self._like(x), self._like(y)");
        p.Line("    return F.mse_loss(self._predictor(y, True), x)");
        Footer(p, spec.ClassName, $"print(model.predict(torch.zeros(4, {I(K)})).shape)");
        return p.ToString();
    }

    // ============================================================================ semi-supervised VAEs (M2)

    private static string SemiSupervisedPython(SemiSupervisedPlan plan)
    {
        var spec = plan.Spec;
        int D = plan.D, Z = plan.Z, K = plan.K;
        var p = new SourceWriter();
        p.Line($"# Generated by GenDsl from the [SemiSupervisedVae] declaration of {spec.FullName}: a torch.nn.Module that computes");
        p.Line("# exactly what the generated C# computes (Kingma et al. 2014's M2). Do not edit: change the declaration instead.");
        p.Line("# Its state_dict names are the checkpoint names; load_safetensors/save_safetensors exchange weights with GenDsl.");
        foreach (var line in Preamble.Replace("\r\n", "\n").Split('\n'))
            p.Line(line);

        string shape = spec.HasImageShape ? $"{spec.Channels}×{spec.Height}×{spec.Width} images as rows of {D} values (channel-major)" : $"rows of {D} features";
        string doc = $"Semi-supervised VAE (M2) on {shape}, latent z of {Z}, {K} classes y; Bernoulli likelihood, α = {Op.PyFloat(spec.Alpha)}, classifier noise σ = {Op.PyFloat(spec.ClassifierNoise)}.\n"
            + "Encoder q(z|x,y) on [x, onehot(y)]" + (plan.ConditionAsChannels ? " (y as constant channels)" : "") + ", decoder p(x|y,z) on [z, onehot(y)], classifier q(y|x) on x. Per row (x, y):\n"
            + "L(x, y) = −ELBO(x, y) = rec + KL + ln K (rec = Σ softplus(l) − x·l, KL = ½Σ(μ² + σ² − ln σ² − 1), z = μ + σ ⊙ ε).\n"
            + "loss(labelled, labels, unlabelled) = mean_labelled(L(x, y) + α·(−ln q(y|x))) + mean_unlabelled(U(x)), U(x) = Σ_y q(y|x)·(L(x, y) + ln q(y|x)):\n"
            + "GenDsl's TrainStep loss (either batch may be empty). Classes are indices 0…K−1 or one-hot rows wherever y is taken.\n"
            + "Batch norms use batch statistics in the losses (as TrainStep) and otherwise follow self.training (GenDsl's Training).";
        var constants = new List<(string, string)> { ("FEATURES", I(D)), ("LATENT", I(Z)), ("CLASSES", I(K)) };
        if (spec.HasImageShape)
            constants.Add(("IMAGE", $"({I(spec.Channels)}, {I(spec.Height)}, {I(spec.Width)})"));
        constants.Add(("ALPHA", Op.PyFloat(spec.Alpha)));
        constants.Add(("CLASSIFIER_NOISE", Op.PyFloat(spec.ClassifierNoise)));
        ClassHead(p, spec.ClassName, spec.FullName, plan.DeclarationHash, doc, plan.Layout, constants);
        Declarations(p, plan.Encoder);
        Declarations(p, plan.Decoder);
        Declarations(p, plan.Classifier);
        p.Line("# GenDsl's Alpha and ClassifierNoise: they start at the declaration's and may be changed, as in GenDsl");
        p.Line("self.alpha = self.ALPHA");
        p.Line("self.classifier_noise = self.CLASSIFIER_NOISE");
        p.Unindent();
        CheckpointMethods(p, spec.ClassName, actNorm: false);

        p.Line();
        p.Line("def _rows(self, x):");
        p.Line("    # a batch of data rows (None: no rows) as [rows, FEATURES]");
        p.Line($"    return self._like(x).reshape(-1, {I(D)}) if x is not None else self._like(torch.zeros(0, {I(D)}))");
        p.Line();
        p.Line("def _onehot(self, y, rows):");
        p.Line("    # classes as one-hot rows [rows, K]: y is class indices 0…K−1 (an integer vector) or rows of K values already");
        p.Line("    y = torch.as_tensor(y)");
        p.Line("    if y.dim() == 1 and not y.is_floating_point():");
        p.Line("        if y.numel() > 0 and (int(y.min()) < 0 or int(y.max()) >= self.CLASSES):");
        p.Line($"            raise ValueError(\"classes are 0…{I(K - 1)}, got %d…%d\" % (int(y.min()), int(y.max())))");
        p.Line("        y = F.one_hot(y.long(), self.CLASSES)");
        p.Line("    y = self._like(y)");
        p.Line("    if y.shape != (rows, self.CLASSES):");
        p.Line("        raise ValueError(\"y has shape %s but the batch has %d rows: pass one class index (or one-hot row) per row\" % (tuple(y.shape), rows))");
        p.Line("    return y");
        p.Line();
        p.Line("def _encoder_in(self, x, y):");
        if (plan.ConditionAsChannels)
        {
            p.Line($"    # the encoder's input: the image with y_k as constant channel {I(spec.Channels)} + k");
            p.Line($"    return torch.cat([x.reshape(-1, {I(spec.Channels)}, {I(spec.Height)}, {I(spec.Width)}), y[:, :, None, None].expand(-1, -1, {I(spec.Height)}, {I(spec.Width)})], 1)");
        }
        else
        {
            p.Line("    # the encoder's input: [x, onehot(y)]");
            p.Line("    return torch.cat([x, y], 1)");
        }
        p.Line();
        p.Line("def _decoder_in(self, z, y):");
        p.Line("    # the decoder's input: [z, onehot(y)]");
        p.Line("    return torch.cat([z, y], 1)");

        NetworkMethod(p, "_encoder", plan.Encoder, "encoder → [μ, ln σ²] of q(z|x,y)");
        NetworkMethod(p, "_decoder", plan.Decoder, "decoder → the Bernoulli logits of p(x|y,z)");
        NetworkMethod(p, "_classifier", plan.Classifier, "classifier → the logits of q(y|x)");

        p.Line();
        p.Line("def _head(self, x, y, training):");
        p.Line("    h = self._encoder(self._encoder_in(x, y), training)");
        p.Line($"    return h[:, :{I(Z)}], h[:, {I(Z)}:]");
        p.Line();
        p.Line("def _log_q(self, x, training):");
        p.Line("    # ln q(y|x) per row: the log-softmax of the classifier's logits");
        p.Line("    return torch.log_softmax(self._classifier(x, training), 1)");
        p.Line();
        p.Line("def encode(self, x, y):");
        p.Line("    # q(z|x,y): (μ, ln σ²) per row for the given classes; Encode in GenDsl");
        p.Line("    x = self._rows(x)");
        p.Line("    return self._head(x, self._onehot(y, x.shape[0]), self.training)");
        p.Line();
        p.Line("def decode(self, z, y):");
        p.Line("    # the decoder's mean E[x|y,z] = σ(logits) per row; Decode in GenDsl");
        p.Line($"    z = self._like(z).reshape(-1, {I(Z)})");
        p.Line("    return torch.sigmoid(self._decoder(self._decoder_in(z, self._onehot(y, z.shape[0])), self.training))");
        p.Line();
        p.Line("def classify(self, x):");
        p.Line("    # q(y|x): K probabilities per row; Classify in GenDsl");
        p.Line("    return torch.exp(self._log_q(self._rows(x), self.training))");
        p.Line();
        p.Line("def forward(self, x):");
        p.Line("    # the classifier's q(y|x), as classify");
        p.Line("    return self.classify(x)");
        p.Line();
        p.Line("def predict(self, x):");
        p.Line("    # argmax q(y|x) per row (the first on ties); Predict in GenDsl");
        p.Line("    return self._log_q(self._rows(x), self.training).argmax(1)");
        p.Line();
        p.Line("def sample(self, y, generator=None):");
        p.Line("    # z ~ N(0, I) per row of y, decoded with its class: a digit of that class in a random style; Sample in GenDsl");
        p.Line("    y = torch.as_tensor(y)");
        p.Line("    ref = next(self.parameters())");
        p.Line($"    z = torch.randn(y.shape[0], {I(Z)}, generator=generator, dtype=ref.dtype, device=ref.device)");
        p.Line("    return self.decode(z, y)");
        p.Line();
        p.Line("def transfer(self, x, y, eps=None):");
        p.Line("    # style transfer: x encoded with its most probable class ŷ into z = μ (+ σ ⊙ eps when eps is given), decoded with y;");
        p.Line("    # Transfer in GenDsl (eps None: its Transfer without an Rng)");
        p.Line("    x = self._rows(x)");
        p.Line("    best = self._log_q(x, self.training).argmax(1)");
        p.Line("    mu, logvar = self._head(x, self._onehot(best, x.shape[0]), self.training)");
        p.Line("    z = mu if eps is None else mu + torch.exp(0.5 * logvar) * self._like(eps)");
        p.Line("    return torch.sigmoid(self._decoder(self._decoder_in(z, self._onehot(y, x.shape[0])), self.training))");
        p.Line();
        p.Line("def _row_losses(self, x, y, eps, training):");
        p.Line("    # L(x, y) = rec + KL + ln K per row (one-hot y), z = μ + σ ⊙ eps (eps None: fresh normals)");
        p.Line("    mu, logvar = self._head(x, y, training)");
        p.Line("    eps = torch.randn_like(mu) if eps is None else self._like(eps).reshape(mu.shape)");
        p.Line("    z = mu + torch.exp(0.5 * logvar) * eps");
        p.Line("    o = self._decoder(self._decoder_in(z, y), training)");
        p.Line("    rec = (_softplus(o) - x * o).sum(1)  # Bernoulli on logits: Σ softplus(l) − x·l");
        p.Line("    kl = 0.5 * (mu * mu + torch.exp(logvar) - logvar - 1).sum(1)");
        p.Line("    return rec + kl + math.log(self.CLASSES)  # −ln p(y) = ln K, p(y) uniform");
        p.Line();
        p.Line("def _every_class(self, x):");
        p.Line("    # the rows (x, 0) … (x, K−1) of each row x, in that order (row u, class y at u·K + y), as GenDsl lays them out");
        p.Line("    eye = torch.eye(self.CLASSES, dtype=x.dtype, device=x.device)");
        p.Line("    return x.repeat_interleave(self.CLASSES, 0), eye.repeat(x.shape[0], 1)");
        p.Line();
        p.Line("def elbo(self, x, y=None, eps=None):");
        p.Line("    # with y: ELBO(x, y) = −L(x, y) per row (eps [rows, LATENT]); without: the unlabelled bound −U(x) =");
        p.Line("    # Σ_y q(y|x)·ELBO(x, y) + H(q(y|x)) ≤ ln p(x) per row (eps [rows·K, LATENT], row u's class y at u·K + y); Elbo in GenDsl");
        p.Line("    x = self._rows(x)");
        p.Line("    if y is not None:");
        p.Line("        return -self._row_losses(x, self._onehot(y, x.shape[0]), eps, self.training)");
        p.Line("    log_q = self._log_q(x, self.training)");
        p.Line("    xe, ye = self._every_class(x)");
        p.Line("    row = self._row_losses(xe, ye, eps, self.training).reshape(-1, self.CLASSES)");
        p.Line("    return -(torch.exp(log_q) * (row + log_q)).sum(1)");
        p.Line();
        p.Line("def _noisy(self, x, noise):");
        p.Line("    # the classifier's input in a training pass: x + σ·n, n ~ N(0, I) (noise: the rows of n; default fresh normals)");
        p.Line("    if self.classifier_noise == 0:");
        p.Line("        return x");
        p.Line("    n = torch.randn_like(x) if noise is None else self._like(noise).reshape(x.shape)");
        p.Line("    return x + self.classifier_noise * n");
        p.Line();
        p.Line("def loss_terms(self, labelled, labels, unlabelled, eps=None, noise=None):");
        p.Line("    # (loss, labelled, classification, unlabelled): GenDsl's SemiSupervisedLoss(Loss, Labelled, Classification, Unlabelled)");
        p.Line("    # of Backward/TrainStep. Either batch may be None or empty, not both. As GenDsl: one classifier pass (batch statistics)");
        p.Line("    # on [labelled; unlabelled] + σ·noise (noise [nl + nu, FEATURES]), one encoder and decoder pass on the rows (x, y) of");
        p.Line("    # the labelled rows, then (x, 0) … (x, K−1) of each unlabelled row, with eps [nl + K·nu, LATENT] in that order.");
        p.Line("    xl, xu = self._rows(labelled), self._rows(unlabelled)");
        p.Line("    nl, nu = xl.shape[0], xu.shape[0]");
        p.Line("    if nl + nu == 0:");
        p.Line("        raise ValueError(\"Both batches are empty: pass labelled or unlabelled rows (or both).\")");
        p.Line("    yl = self._onehot(labels if nl > 0 else torch.zeros(0, dtype=torch.long), nl)");
        p.Line("    # q(y|x) for every row, labelled then unlabelled");
        p.Line("    log_q = self._log_q(self._noisy(torch.cat([xl, xu], 0), noise), True)");
        p.Line("    # L(x, y) for each encoder row: (x, y) of each labelled row, then each unlabelled row once per class");
        p.Line("    xe, ye = self._every_class(xu)");
        p.Line("    row = self._row_losses(torch.cat([xl, xe], 0), torch.cat([yl, ye], 0), eps, True)");
        p.Line("    inv_l, inv_u = (1.0 / nl if nl > 0 else 0.0), (1.0 / nu if nu > 0 else 0.0)");
        p.Line("    labelled_mean = row[:nl].sum() * inv_l");
        p.Line("    classification = -(log_q[:nl] * yl).sum() * inv_l  # mean −ln q(y|x) over the labelled rows");
        p.Line("    lq = log_q[nl:]");
        p.Line("    bound = (torch.exp(lq) * (row[nl:].reshape(nu, self.CLASSES) + lq)).sum(1)  # U(x) = Σ_y q_y·(L(x, y) + ln q_y)");
        p.Line("    unlabelled_mean = bound.sum() * inv_u");
        p.Line("    return labelled_mean + self.alpha * classification + unlabelled_mean, labelled_mean, classification, unlabelled_mean");
        p.Line();
        p.Line("def loss(self, labelled, labels, unlabelled, eps=None, noise=None):");
        p.Line("    # the objective GenDsl's TrainStep minimises (see loss_terms); eps, noise: the normals it draws (default: fresh ones)");
        p.Line("    return self.loss_terms(labelled, labels, unlabelled, eps, noise)[0]");
        p.Line();
        p.Line("def classifier_loss(self, labelled, labels, noise=None):");
        p.Line("    # the classifier alone: mean −ln q(y|x) on x + σ·noise (batch statistics); TrainClassifier's loss in GenDsl");
        p.Line("    x = self._rows(labelled)");
        p.Line("    y = self._onehot(labels, x.shape[0])");
        p.Line("    return -(self._log_q(self._noisy(x, noise), True) * y).sum(1).mean()");
        Footer(p, spec.ClassName, $"print(model.sample(torch.arange(4) % {I(K)}).shape)");
        return p.ToString();
    }
}
