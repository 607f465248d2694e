using MlNetStem.Torch.Nn;

namespace MlNetStem.Trainers.Diffusion;

/// <summary>A named group of child modules, mirroring PyTorch attribute nesting in state-dict names (e.g. <c>blocks.0.attn.qkv</c>).</summary>
internal sealed class ModuleGroup : Module
{
    public T Add<T>(string name, T module) where T : Module => RegisterModule(name, module);
}
