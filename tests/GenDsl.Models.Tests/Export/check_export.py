# Driver of PyTorchExportTests: for every case of a manifest, imports the module GenDsl exported, loads its
# weights, runs it in float64 on the inputs the test wrote, and writes what it computed (densities, losses,
# parameter gradients, buffers after the training pass; families flow, vae, gan, m2 (the semi-supervised VAE) and regressor), then takes one Adam step, saves the weights as a
# GenDsl checkpoint and writes the outputs of the stepped weights (reloaded from that file).
#   usage: python3 check_export.py MANIFEST.json
import importlib.util
import json
import sys

import torch
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(1)


def load_module(path, class_name):
    spec = importlib.util.spec_from_file_location(class_name + "_export", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, getattr(module, class_name)


def m2_outputs(model, x, prefix):
    # the semi-supervised VAE's randomness-free outputs; decode takes y as one-hot rows, the others as class indices
    classes = x["classes"].long()
    mu, logvar = model.encode(x["x"], classes)
    return {prefix + "mu": mu, prefix + "logvar": logvar,
            prefix + "decode": model.decode(x["zin"], F.one_hot(classes, model.CLASSES).double()),
            prefix + "classify": model.classify(x["x"]), prefix + "predict": model.predict(x["x"]).double(),
            prefix + "transfer": model.transfer(x["x"], classes)}


def run(case):
    module, cls = load_module(case["python"], case["class"])
    inputs, _ = module.load_safetensors(case["inputs"])
    x = {k: v.double() for k, v in inputs.items()}
    model = cls().double()
    model.load_safetensors(case["weights"])
    if case.get("actnorm_init"):
        model.actnorm_initialized = False  # the first loss initialises the ActNorm layers, as GenDsl's first Backward does
    out = {}
    y = x.get("y")
    family = case["family"]
    params = dict(model.named_parameters())

    def grads(prefix="grad."):
        for name, p in params.items():
            if p.grad is not None:
                out[prefix + name] = p.grad.detach().clone()

    model.eval()
    if family == "flow":
        with torch.no_grad():
            out["logp"] = model.log_prob(x["x"], y)
            z, ld = model(x["x"], y)
            out["z"], out["logdet"] = z, ld
            out["inverse"] = model.inverse(x["zin"], y)
        loss = model.loss(x["x"], y)
        out["loss"] = loss.detach().reshape(1)
        loss.backward()
        grads()
    elif family == "vae":
        with torch.no_grad():
            mu, logvar = model.encode(x["x"], y)
            out["mu"], out["logvar"] = mu, logvar
            out["decode"] = model.decode(x["zin"], y)
            out["elbo"] = model.elbo(x["x"], y, eps=x["eps_elbo"])
            k = case["iwae_samples"]
            out["iwae"] = model.log_prob(x["x"], y, k=k, eps=x["eps_iwae"].reshape(k, x["x"].shape[0], -1))
        loss, rec, kl = model.loss_terms(x["x"], y, eps=x["eps_loss"])
        out["loss"] = torch.stack([loss, rec, kl]).detach()
        loss.backward()
        grads()
    elif family == "regressor":
        with torch.no_grad():
            out["predict"] = model.predict(y)
        loss = model.loss(x["x"], y)
        out["loss"] = loss.detach().reshape(1)
        loss.backward()
        grads()
    elif family == "m2":
        labels = x["labels"].long()
        with torch.no_grad():
            out.update(m2_outputs(model, x, ""))
            out["elbo"] = model.elbo(x["x"], labels, eps=x["eps_elbo"])
            out["elbo_u"] = model.elbo(x["u"], eps=x["eps_elbo_u"])
        terms = model.loss_terms(x["x"], labels, x["u"], eps=x["eps_loss"], noise=x.get("noise"))
        out["loss"] = torch.stack(terms).detach()
        terms[0].backward()
        grads()
        for name, b in model.named_buffers():  # after the loss, as GenDsl's Backward leaves them
            out["buffer." + name] = b.detach().clone()
        with torch.no_grad():  # TrainClassifier's loss (its batch norms' running statistics move too, after the snapshot)
            out["classifier_loss"] = model.classifier_loss(x["x"], labels, noise=x.get("noise_cls")).reshape(1)
    else:
        with torch.no_grad():
            out["prob"] = model.discriminate(x["x"], y)
            out["generate"] = model.generate(x["zs"], y)
        generator = set(case["generator"])
        if "eps_gp" in x:
            d_loss = model.discriminator_loss(x["x"], x["z1"], y, eps=x["eps_gp"])
        else:
            d_loss = model.discriminator_loss(x["x"], x["z1"], y)
        model.zero_grad()
        d_loss.backward()
        d_grads = {n: (p.grad.detach().clone() if p.grad is not None else torch.zeros_like(p)) for n, p in params.items() if n not in generator}
        model.zero_grad()
        g_loss = model.generator_loss(x["z2"], y)
        g_loss.backward()
        g_grads = {n: (p.grad.detach().clone() if p.grad is not None else torch.zeros_like(p)) for n, p in params.items() if n in generator}
        out["loss"] = torch.stack([d_loss, g_loss]).detach()
        for n, p in params.items():
            p.grad = d_grads[n] if n in d_grads else g_grads[n]
        grads()
    if family != "m2":
        for name, b in model.named_buffers():
            out["buffer." + name] = b.detach().clone()
    for name, p in params.items():
        out["param." + name] = p.detach().clone()

    # One Adam step on these gradients, saved as a GenDsl checkpoint, then the outputs of the saved weights.
    torch.optim.Adam(model.parameters(), lr=1e-2).step()
    model.save_safetensors(case["trained"], step=1)
    model = cls().double()
    model.load_safetensors(case["trained"])
    model.eval()
    with torch.no_grad():
        if family == "flow":
            out["after.logp"] = model.log_prob(x["x"], y)
        elif family == "vae":
            mu, logvar = model.encode(x["x"], y)
            out["after.mu"], out["after.logvar"] = mu, logvar
            out["after.decode"] = model.decode(x["zin"], y)
        elif family == "m2":
            out.update(m2_outputs(model, x, "after."))
        elif family == "regressor":
            out["after.predict"] = model.predict(y)
        else:
            out["after.prob"] = model.discriminate(x["x"], y)
            out["after.generate"] = model.generate(x["zs"], y)
    module.save_safetensors(case["outputs"], {k: v.reshape(-1) if v.dim() == 0 else v for k, v in out.items()})


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    for case in cases:
        run(case)
        print("ok", case["class"], flush=True)


if __name__ == "__main__":
    main()
