#if HummingbirdSupport
#endif
