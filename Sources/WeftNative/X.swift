import WeftCore
public enum WeftNativeX {}
