namespace QuotaPortal.Kernel;

/// <summary>
/// A request body with a working example: the OpenAPI document shows it on the schema and as the example request, so the
/// Scalar page can send it as it is (examples name the demo data's teams, e.g. "search").
/// </summary>
public interface IHasExample<TSelf> where TSelf : IHasExample<TSelf>
{
    static abstract TSelf Example { get; }
}
