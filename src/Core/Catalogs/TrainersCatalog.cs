namespace MlNetStem.Catalogs;

/// <summary>Trainers; each trainer assembly adds extension methods (Ridge, Mlp, StemDiffusion, ...).</summary>
public sealed class TrainersCatalog(StemContext context) : CatalogBase(context);
